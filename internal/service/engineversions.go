package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
)

// DescribeCacheEngineVersions lists the engine version catalog, filtered by
// Engine, EngineVersion (exact, or a major version prefix with DefaultOnly),
// CacheParameterGroupFamily and DefaultOnly, in pages of MaxRecords.
func (s *Service) DescribeCacheEngineVersions(ctx context.Context, in *api.DescribeCacheEngineVersionsMessage) (*api.CacheEngineVersionMessage, error) {
	limit, err := maxRecords(in.MaxRecords)
	if err != nil {
		return nil, err
	}
	start := 0
	if m := api.Deref(in.Marker); m != "" {
		n, perr := strconv.Atoi(m)
		if perr != nil || n < 0 {
			return nil, api.ErrInvalidParameterValue("The Marker %q was not returned by DescribeCacheEngineVersions; pass the Marker of the previous page.", m)
		}
		start = n
	}
	want := func(v engine.Version) bool {
		if e := api.Deref(in.Engine); e != "" && string(v.Engine) != strings.ToLower(e) {
			return false
		}
		if f := api.Deref(in.CacheParameterGroupFamily); f != "" && v.Family != f {
			return false
		}
		if ev := api.Deref(in.EngineVersion); ev != "" {
			if api.Deref(in.DefaultOnly) {
				return v.Version == ev || strings.HasPrefix(v.Version, ev+".")
			}
			return v.Version == ev
		}
		return true
	}
	var matched []engine.Version
	for _, v := range engine.Versions() {
		if want(v) {
			matched = append(matched, v)
		}
	}
	if api.Deref(in.DefaultOnly) {
		matched = defaultsOf(matched, api.Deref(in.EngineVersion) != "")
	}
	out := &api.CacheEngineVersionMessage{CacheEngineVersions: []api.CacheEngineVersion{}}
	for i := start; i < len(matched) && len(out.CacheEngineVersions) < limit; i++ {
		v := matched[i]
		out.CacheEngineVersions = append(out.CacheEngineVersions, api.CacheEngineVersion{
			Engine:                        api.String(string(v.Engine)),
			EngineVersion:                 api.String(v.Version),
			CacheParameterGroupFamily:     api.String(v.Family),
			CacheEngineDescription:        api.String(v.Description),
			CacheEngineVersionDescription: api.String(v.VersionDescription),
		})
	}
	if next := start + len(out.CacheEngineVersions); next < len(matched) {
		out.Marker = api.String(strconv.Itoa(next))
	}
	return out, nil
}

// defaultsOf keeps, per engine, the default version; when a version prefix was
// asked for (byMajor), the newest version that matched it stands in for the default.
func defaultsOf(vs []engine.Version, byMajor bool) []engine.Version {
	var out []engine.Version
	newest := map[engine.Name]int{}
	for _, v := range vs {
		if byMajor {
			if i, ok := newest[v.Engine]; !ok || engine.CompareVersions(v.Version, out[i].Version) > 0 {
				if !ok {
					newest[v.Engine] = len(out)
					out = append(out, v)
				} else {
					out[i] = v
				}
			}
			continue
		}
		if v.Default {
			out = append(out, v)
		}
	}
	return out
}
