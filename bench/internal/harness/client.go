package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/sdkhttp"
)

// NewMeasureClient is an ElastiCache SDK client for a cacheplane endpoint:
// static keys (any key is accepted on loopback), no retries (every failure
// counts), and enough idle connections for maxConns concurrent callers.
func NewMeasureClient(endpoint string, maxConns int) *elasticache.Client {
	return newClient(endpoint, maxConns, aws.NopRetryer{})
}

// NewClient is NewMeasureClient for the benchmarks' own bookkeeping calls
// (waits, listings, clean-up): it retries, at once and up to 3 times, only a
// client-side race of the SDK and net/http that fails a request with
// net.ErrClosed (aws/aws-sdk-go-v2#2737; the SDK's default retryer retries it too).
func NewClient(endpoint string, maxConns int) *elasticache.Client {
	return newClient(endpoint, maxConns, retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 3
		so.RateLimiter = ratelimit.None
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		so.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			return aws.BoolTernary(errors.Is(err, net.ErrClosed))
		})}
	}))
}

func newClient(endpoint string, maxConns int, retryer aws.Retryer) *elasticache.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxConns + 16,
		MaxIdleConnsPerHost: maxConns + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return elasticache.New(elasticache.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("bench", "bench", "")),
		HTTPClient:   sdkhttp.BufferedBody{Client: &http.Client{Transport: tr, Timeout: 60 * time.Second}},
		Retryer:      retryer,
	})
}

// ErrorCode is the AWS error code of err ("" if it is not an API error).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsNotFound reports a CacheClusterNotFound fault.
func IsNotFound(err error) bool {
	var nf *types.CacheClusterNotFoundFault
	return errors.As(err, &nf) || ErrorCode(err) == "CacheClusterNotFound"
}

// Describe returns one cluster (with node info).
func Describe(ctx context.Context, c *elasticache.Client, id string) (*types.CacheCluster, error) {
	out, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{
		CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.CacheClusters) != 1 {
		return nil, fmt.Errorf("describe %s: %d clusters", id, len(out.CacheClusters))
	}
	return &out.CacheClusters[0], nil
}

// WaitAvailable polls DescribeCacheClusters(id) every poll until the cluster is
// available and returns it.
func WaitAvailable(ctx context.Context, c *elasticache.Client, id string, poll, timeout time.Duration) (*types.CacheCluster, error) {
	deadline := time.Now().Add(timeout)
	for {
		cl, err := Describe(ctx, c, id)
		if err != nil {
			return nil, err
		}
		if aws.ToString(cl.CacheClusterStatus) == "available" {
			return cl, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cluster %s: still %s after %v: %w", id, aws.ToString(cl.CacheClusterStatus), timeout, ErrTimeout)
		}
		if err := Sleep(ctx, poll); err != nil {
			return nil, err
		}
	}
}

// WaitGone polls DescribeCacheClusters(id) every poll until it answers CacheClusterNotFound.
func WaitGone(ctx context.Context, c *elasticache.Client, id string, poll, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)})
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %s: not gone after %v: %w", id, timeout, ErrTimeout)
		}
		if err := Sleep(ctx, poll); err != nil {
			return err
		}
	}
}

// DescribeAll pages through every cluster and counts them by status.
func DescribeAll(ctx context.Context, c *elasticache.Client) (map[string]int, []types.CacheCluster, error) {
	counts := map[string]int{}
	var all []types.CacheCluster
	p := elasticache.NewDescribeCacheClustersPaginator(c, &elasticache.DescribeCacheClustersInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, cl := range out.CacheClusters {
			counts[aws.ToString(cl.CacheClusterStatus)]++
		}
		all = append(all, out.CacheClusters...)
	}
	return counts, all, nil
}

// DeleteAll deletes every cluster (waiting for each to be deletable) and waits until none is left.
func DeleteAll(ctx context.Context, c *elasticache.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, all, err := DescribeAll(ctx, c)
		if err != nil {
			return err
		}
		if len(all) == 0 {
			return nil
		}
		for _, cl := range all {
			if aws.ToString(cl.CacheClusterStatus) != "deleting" {
				_, _ = c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: cl.CacheClusterId})
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d clusters left after %v: %w", len(all), timeout, ErrTimeout)
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// Create is CreateCacheCluster for a cluster id the benchmark has not used
// before on this data directory: CacheClusterAlreadyExists can then only be
// the answer to a retry of a request that did create it, and counts as success.
func Create(ctx context.Context, c *elasticache.Client, in *elasticache.CreateCacheClusterInput) error {
	_, err := c.CreateCacheCluster(ctx, in)
	if err != nil && ErrorCode(err) == "CacheClusterAlreadyExists" {
		return nil
	}
	return err
}

// Delete is DeleteCacheCluster where "already being deleted" (a retried
// request that did delete it) counts as success.
func Delete(ctx context.Context, c *elasticache.Client, id string) error {
	_, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)})
	if err != nil && ErrorCode(err) == "InvalidCacheClusterState" && strings.Contains(err.Error(), "already being deleted") {
		return nil
	}
	return err
}
