package service

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
)

// Identifier rules shared by clusters, replication groups, parameter and subnet
// groups: ASCII letters, digits and hyphens, a letter first, no trailing hyphen,
// no two hyphens in a row (aws-behaviour.md §1.1, with AWS's wording in §2.2).
var identifierRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// checkIdentifier returns AWS's InvalidParameterValue for a bad identifier;
// wireName is the name AWS puts in the message (CacheClusterIdentifier for clusters).
func checkIdentifier(param, wireName, id string, maxLen int) *api.Error {
	if strings.TrimSpace(id) == "" {
		return api.ErrInvalidParameterValue("The parameter %s must be provided and must not be blank.", param)
	}
	if !identifierRE.MatchString(id) || strings.HasSuffix(id, "-") || strings.Contains(id, "--") {
		return api.ErrInvalidParameterValue("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", wireName)
	}
	if len(id) > maxLen {
		return api.ErrInvalidParameterValue("The parameter %s is not a valid identifier because it is longer than %d characters.", wireName, maxLen)
	}
	return nil
}

// authTokenRE: 16-128 printable ASCII characters, of the specials only ! & # $ ^ < > -.
var authTokenRE = regexp.MustCompile(`^[A-Za-z0-9!&#$^<>-]{16,128}$`)

func checkAuthToken(tok string) *api.Error {
	if !authTokenRE.MatchString(tok) {
		return api.ErrInvalidParameterValue("Invalid AuthToken provided. The AUTH token must be 16 to 128 printable ASCII characters, and the only special characters allowed are !, &, #, $, ^, <, > and -.")
	}
	return nil
}

var securityGroupIDRE = regexp.MustCompile(`^sg-[0-9a-f]{8}([0-9a-f]{9})?$`)

var snsTopicARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):([0-9]{12}):[A-Za-z0-9_-]{1,256}$`)

// checkTags enforces the tag rules AWS applies to every taggable resource.
func checkTags(tags []api.Tag, existing int) ([]model.Tag, *api.Error) {
	merged := map[string]int{}
	var out []model.Tag
	for i, t := range tags {
		key := api.Deref(t.Key)
		if key == "" {
			return nil, api.ErrInvalidParameterValue("Tag %d has no Key; every tag needs a non-empty Key.", i+1)
		}
		if len(key) > 128 {
			return nil, api.ErrInvalidParameterValue("Tag key '%.20s...' is longer than 128 characters.", key)
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return nil, api.ErrInvalidParameterValue("Tag keys beginning with 'aws:' are reserved for AWS use: %s.", key)
		}
		if t.Value != nil && len(*t.Value) > 256 {
			return nil, api.ErrInvalidParameterValue("The value of tag '%s' is longer than 256 characters.", key)
		}
		if j, dup := merged[key]; dup {
			out[j].Value = t.Value // a repeated key keeps the last value
			continue
		}
		merged[key] = len(out)
		out = append(out, model.Tag{Key: key, Value: t.Value})
	}
	if existing+len(out) > 50 {
		return nil, api.ErrTagQuotaPerResourceExceeded("A resource may have at most 50 tags; this request would give it %d.", existing+len(out))
	}
	return out, nil
}

// nitroNodeType reports whether a node type is built on the Nitro system, which IPv6 needs.
func nitroNodeType(t engine.NodeType) bool {
	if t.PreviousGeneration {
		return false
	}
	for _, p := range []string{"cache.t2.", "cache.m4.", "cache.r4."} {
		if strings.HasPrefix(t.Name, p) {
			return false
		}
	}
	return true
}

func gib(b int64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }
