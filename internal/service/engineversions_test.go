package service

import (
	"context"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
)

func TestDescribeCacheEngineVersions(t *testing.T) {
	s := New(Config{Region: "us-east-1", AccountID: "000000000000", Quotas: DefaultQuotas()}, nil)
	ctx := context.Background()

	all, err := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{Engine: api.String("redis")})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range all.CacheEngineVersions {
		if *v.Engine != "redis" {
			t.Fatalf("Engine filter let %s through", *v.Engine)
		}
		seen[*v.EngineVersion] = true
	}
	for _, want := range []string{"3.2.4", "5.0.6", "6.2", "7.1"} {
		if !seen[want] {
			t.Errorf("redis %s missing from the catalog", want)
		}
	}

	defaults, err := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{DefaultOnly: api.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	perEngine := map[string]int{}
	for _, v := range defaults.CacheEngineVersions {
		perEngine[*v.Engine]++
	}
	if perEngine["redis"] != 1 || perEngine["memcached"] != 1 {
		t.Fatalf("DefaultOnly should give one version per engine, got %v", perEngine)
	}

	major, err := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{Engine: api.String("redis"), EngineVersion: api.String("3.2"), DefaultOnly: api.Bool(true)})
	if err != nil || len(major.CacheEngineVersions) != 1 || *major.CacheEngineVersions[0].EngineVersion != "3.2.10" {
		t.Fatalf("DefaultOnly with major 3.2: %v %+v", err, major)
	}

	fam, _ := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{CacheParameterGroupFamily: api.String("memcached1.6")})
	for _, v := range fam.CacheEngineVersions {
		if *v.CacheParameterGroupFamily != "memcached1.6" {
			t.Fatalf("family filter let %s through", *v.CacheParameterGroupFamily)
		}
	}

	// Paging: pages of 20 cover the catalog once, in order.
	var got []string
	var marker *string
	for page := 0; page < 10; page++ {
		res, err := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{MaxRecords: api.Int32(20), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.CacheEngineVersions {
			got = append(got, *v.Engine+" "+*v.EngineVersion)
		}
		if res.Marker == nil {
			break
		}
		marker = res.Marker
	}
	full, _ := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{})
	if len(got) != len(full.CacheEngineVersions) || len(got) <= 20 {
		t.Fatalf("paging gave %d versions, one page of 100 gave %d", len(got), len(full.CacheEngineVersions))
	}

	if _, err := s.DescribeCacheEngineVersions(ctx, &api.DescribeCacheEngineVersionsMessage{MaxRecords: api.Int32(5)}); err == nil {
		t.Fatal("MaxRecords 5 is below the model's minimum of 20")
	}
}
