package service

import (
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/store"
)

// parameterGroupFor resolves CacheParameterGroupName against the built-in default
// groups (custom groups arrive with the parameter-group operations).
func (s *Service) parameterGroupFor(tx *store.Tx, name string, v engine.Version) (string, *api.Error) {
	want := engine.DefaultParameterGroup(v.Family, false)
	if name == "" {
		return want, nil
	}
	lower := strings.ToLower(name)
	for _, fam := range engine.Families() {
		off, on := engine.DefaultParameterGroup(fam, false), engine.DefaultParameterGroup(fam, true)
		switch lower {
		case on:
			if on != "" {
				return "", api.ErrInvalidParameterCombinationMsg("Cluster mode should be disabled in parameter group, but found it is enabled.")
			}
		case off:
			if fam != v.Family {
				return "", api.ErrInvalidParameterCombination("Expected a parameter group of family %s but found one of family %s.", v.Family, fam)
			}
			return off, nil
		}
	}
	return "", api.ErrCacheParameterGroupNotFound("CacheParameterGroup %s not found.", name)
}
