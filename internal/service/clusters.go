package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// ClientDownloadLandingPage is the constant AWS returns in every cluster.
const ClientDownloadLandingPage = "https://console.aws.amazon.com/elasticache/home#client-download:"

// clusterIDMaxLen is AWS's current limit (it was 20 until 2019).
const clusterIDMaxLen = 50

// CreateCacheCluster validates the request as AWS does, then records the desired
// cluster (status creating) in one transaction and hands it to the reconciler.
func (s *Service) CreateCacheCluster(ctx context.Context, in *api.CreateCacheClusterMessage) (*api.CreateCacheClusterResult, error) {
	var cluster *model.Cluster
	err := s.store.Update(func(tx *store.Tx) error {
		spec, tags, verr := s.specFromCreate(tx, in)
		if verr != nil {
			return verr
		}
		cluster = &model.Cluster{Spec: *spec, Status: model.ClusterStatus{Status: model.StatusCreating}}
		existing, err := tx.Cluster(spec.ID)
		if err != nil {
			return err
		}
		if existing != nil {
			return api.ErrCacheClusterAlreadyExists("Cache cluster already exists")
		}
		if n := tx.ClusterCount(); n >= s.cfg.Quotas.MaxClusters {
			return api.ErrClusterQuotaForCustomerExceeded("The cluster quota of %d clusters is reached; delete a cluster or raise the quota (--max-clusters).", s.cfg.Quotas.MaxClusters)
		}
		if used := tx.AddressesInUse(); used+cluster.Spec.NumCacheNodes > s.cfg.Quotas.MaxNodes {
			return api.ErrNodeQuotaForCustomerExceeded("The node quota of %d nodes would be exceeded: %d nodes exist and %d were requested. Delete nodes or raise the quota (--max-nodes).", s.cfg.Quotas.MaxNodes, used, cluster.Spec.NumCacheNodes)
		}
		if err := s.assignNodes(tx, &cluster.Spec); err != nil {
			return err
		}
		if err := tx.SetTags(cluster.Spec.ARN, tags); err != nil {
			return err
		}
		if err := tx.AddEvent(model.ClusterEvent(cluster.Spec.ID, model.MsgCacheClusterCreated, cluster.Spec.CreatedAt)); err != nil {
			return err
		}
		return tx.PutCluster(cluster)
	})
	if err != nil {
		return nil, err
	}
	s.cfg.Notify(cluster.Spec.ID)
	return &api.CreateCacheClusterResult{CacheCluster: s.toAPI(cluster, false)}, nil
}

// metaNextAddress remembers where the next IPv4 node address search starts.
const metaNextAddress = "alloc/next-ipv4"

// assignNodes gives each node its id, zone and endpoint.
func (s *Service) assignNodes(tx *store.Tx, spec *model.ClusterSpec) error {
	taken := map[string]bool{}
	ipv6 := spec.NetworkType == string(api.NetworkTypeIpv6)
	hint := tx.Meta(metaNextAddress)
	for i := range spec.Nodes {
		addr, port, err := s.cfg.NodeAddresses.next(ipv6, spec.Port, hint, tx.AddressInUse, taken)
		if err != nil {
			return api.ErrInsufficientCacheClusterCapacity("No node address is free on this host: %v.", err)
		}
		spec.Nodes[i].Address, spec.Nodes[i].Port = addr, port
		if a, perr := netip.ParseAddr(addr); perr == nil && a.Is4() {
			hint = a.Next().String()
		}
	}
	if spec.Engine == string(engine.Memcached) {
		// The configuration endpoint gets an address of its own, served by the
		// control plane (Auto Discovery), as on AWS where it is a name of its own.
		addr, port, err := s.cfg.NodeAddresses.next(ipv6, spec.Port, hint, tx.AddressInUse, taken)
		if err != nil {
			return api.ErrInsufficientCacheClusterCapacity("No address is free on this host for the configuration endpoint: %v.", err)
		}
		spec.ConfigEndpoint = &model.Endpoint{Address: addr, Port: port}
		spec.ConfigVersion = 1
		if a, perr := netip.ParseAddr(addr); perr == nil && a.Is4() {
			hint = a.Next().String()
		}
	}
	return tx.SetMeta(metaNextAddress, hint)
}

// specFromCreate applies every CreateCacheCluster rule; references to other
// resources are resolved in tx, the transaction that will record the cluster.
func (s *Service) specFromCreate(tx *store.Tx, in *api.CreateCacheClusterMessage) (*model.ClusterSpec, []model.Tag, *api.Error) {
	id := api.Deref(in.CacheClusterId)
	if err := checkIdentifier("CacheClusterId", "CacheClusterIdentifier", id, clusterIDMaxLen); err != nil {
		return nil, nil, err
	}
	if in.ReplicationGroupId != nil {
		// No replication groups exist until their operations are implemented.
		return nil, nil, api.ErrReplicationGroupNotFound("ReplicationGroup %s not found.", strings.ToLower(*in.ReplicationGroupId))
	}

	engineName := api.Deref(in.Engine)
	if engineName == "" {
		return nil, nil, api.ErrInvalidParameterValue("The parameter Engine must be provided and must not be blank. Valid values: memcached, redis.")
	}
	eng, ok := engine.ParseName(engineName)
	if !ok {
		return nil, nil, api.ErrInvalidParameterValue("Invalid value for parameter Engine: %s. Valid values: memcached, redis.", engineName)
	}
	if eng == engine.Valkey {
		return nil, nil, api.ErrInvalidParameterValue("CreateCacheCluster does not support engine valkey; create Valkey clusters with CreateReplicationGroup. Valid values: memcached, redis.")
	}

	nodeTypeName := api.Deref(in.CacheNodeType)
	if nodeTypeName == "" {
		return nil, nil, api.ErrInvalidParameterValue("The parameter CacheNodeType must be provided and must not be blank.")
	}
	nodeType, ok := engine.LookupNodeType(nodeTypeName)
	if !ok {
		return nil, nil, api.ErrInvalidParameterValue("Invalid value for parameter CacheNodeType: %s is not a node type ElastiCache offers (for example cache.t3.micro, cache.m5.large, cache.r6g.large).", nodeTypeName)
	}

	version := engine.DefaultVersion(eng)
	if v := api.Deref(in.EngineVersion); in.EngineVersion != nil {
		found, ok := engine.LookupVersion(eng, v)
		if !ok {
			return nil, nil, api.ErrInvalidParameterCombination("Cannot find version %s for %s", v, eng)
		}
		version = found
	}
	if !nodeType.SupportsVersion(version) {
		return nil, nil, api.ErrInvalidParameterCombination("Node type %s is not supported with %s %s.%s", nodeType.Name, eng, version.Version, nodeTypeHint(nodeType, eng))
	}

	num := 1
	if in.NumCacheNodes != nil {
		num = int(*in.NumCacheNodes)
	}
	if num < 1 {
		return nil, nil, api.ErrInvalidParameterValue("The parameter NumCacheNodes must be at least 1; %d was given.", num)
	}
	if eng != engine.Memcached && num > 1 {
		return nil, nil, api.ErrInvalidParameterValueMsg("Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.")
	}
	if num > s.cfg.Quotas.MaxNodesPerCluster {
		return nil, nil, api.ErrNodeQuotaForClusterExceeded("A cluster may have at most %d nodes; %d were requested.", s.cfg.Quotas.MaxNodesPerCluster, num)
	}

	if err := checkEngineOnlyParams(in, eng); err != nil {
		return nil, nil, err
	}

	subnetGroup, subnetZones, err := s.subnetGroupFor(tx, in.CacheSubnetGroupName)
	if err != nil {
		return nil, nil, err
	}
	zones, preferred, err := s.zonesFor(in, eng, num, subnetZones)
	if err != nil {
		return nil, nil, err
	}

	port := eng.DefaultPort()
	if in.Port != nil {
		port = int(*in.Port)
		if port < 1 || port > 65535 {
			return nil, nil, api.ErrInvalidParameterValue("The parameter Port must be between 1 and 65535; %d was given.", port)
		}
	}

	paramGroup, err := s.parameterGroupFor(tx, api.Deref(in.CacheParameterGroupName), version)
	if err != nil {
		return nil, nil, err
	}
	secGroupNames, err := s.securityGroupsFor(tx, in.CacheSecurityGroupNames, in.SecurityGroupIds)
	if err != nil {
		return nil, nil, err
	}

	var maint weeklyRange
	var maintText string
	if w := in.PreferredMaintenanceWindow; w != nil {
		var werr *api.Error
		maint, maintText, werr = parseMaintenanceWindow(*w)
		if werr != nil {
			return nil, nil, werr
		}
	} else if d, ok := requestedSnapshotWindow(in, eng); ok {
		// The default maintenance window must not collide with the snapshot window the request names.
		s.withRand(func(r *rand.Rand) { maint, maintText = defaultMaintenanceWindowAvoiding(r, s.cfg.Region, d) })
	} else {
		s.withRand(func(r *rand.Rand) { maint, maintText = defaultMaintenanceWindow(r, s.cfg.Region) })
	}

	snapshotWindow, retention := "", 0
	if eng != engine.Memcached {
		if in.SnapshotRetentionLimit != nil {
			retention = int(*in.SnapshotRetentionLimit)
			if retention < 0 || retention > 35 {
				return nil, nil, api.ErrInvalidParameterValue("The parameter SnapshotRetentionLimit must be between 0 and 35 days; %d was given.", retention)
			}
		}
		if w := in.SnapshotWindow; w != nil {
			d, werr := parseSnapshotWindow(*w)
			if werr != nil {
				return nil, nil, werr
			}
			if overlaps(d, maint) {
				return nil, nil, api.ErrInvalidParameterCombinationMsg("The snapshot window and maintenance window must not overlap.")
			}
			snapshotWindow = formatDaily(d.start, d.length)
		} else {
			s.withRand(func(r *rand.Rand) { snapshotWindow = defaultSnapshotWindow(r, maint) })
			if snapshotWindow == "" {
				// As AWS: the window it assigns itself must not overlap either.
				return nil, nil, api.ErrInvalidParameterCombinationMsg("The snapshot window and maintenance window must not overlap.")
			}
		}
	}

	tls := api.Deref(in.TransitEncryptionEnabled)
	if tls && eng == engine.Redis {
		return nil, nil, api.ErrInvalidParameterCombinationMsg("Encryption feature is not supported for engine REDIS.")
	}
	if tls && engine.CompareVersions(version.Version, "1.6.12") < 0 {
		return nil, nil, api.ErrInvalidParameterCombination("In-transit encryption needs Memcached 1.6.12 or later; this cluster asks for %s.", version.Version)
	}
	token := api.Deref(in.AuthToken)
	if in.AuthToken != nil {
		if !tls {
			return nil, nil, api.ErrInvalidParameterValueMsg("The AUTH token is only supported when encryption-in-transit is enabled")
		}
		if err := checkAuthToken(token); err != nil {
			return nil, nil, err
		}
		if eng == engine.Memcached {
			return nil, nil, api.ErrInvalidParameterCombinationMsg("AuthToken is supported only for Valkey and Redis OSS; Memcached clusters do not take an AUTH token.")
		}
	}

	networkType, ipDiscovery, err := networkSettings(in, eng, version, nodeType)
	if err != nil {
		return nil, nil, err
	}

	if in.OutpostMode != "" || in.PreferredOutpostArn != nil || len(in.PreferredOutpostArns) > 0 {
		return nil, nil, api.ErrInvalidParameterCombinationMsg("AWS Outposts are not available here: omit OutpostMode, PreferredOutpostArn and PreferredOutpostArns.")
	}
	if len(in.SnapshotArns) > 0 {
		return nil, nil, api.ErrInvalidParameterValueMsg("Seeding a cluster from an S3 snapshot (SnapshotArns) is not supported by cacheplane: there is no S3 here. Omit SnapshotArns.")
	}
	if in.SnapshotName != nil {
		return nil, nil, api.ErrSnapshotNotFound("Snapshot %s not found.", strings.ToLower(*in.SnapshotName))
	}

	topic := api.Deref(in.NotificationTopicArn)
	if in.NotificationTopicArn != nil {
		m := snsTopicARNRE.FindStringSubmatch(topic)
		if m == nil {
			return nil, nil, api.ErrInvalidParameterValue("Invalid NotificationTopicArn %s: expected arn:aws:sns:<region>:<account>:<topic>.", topic)
		}
		if m[1] != s.cfg.Region || m[2] != s.cfg.AccountID {
			return nil, nil, api.ErrInvalidParameterValue("The SNS topic %s must belong to this account (%s) and region (%s).", topic, s.cfg.AccountID, s.cfg.Region)
		}
	}

	logs, err := logDeliveryFrom(in.LogDeliveryConfigurations, eng, version)
	if err != nil {
		return nil, nil, err
	}

	tags, err := checkTags(in.Tags, 0)
	if err != nil {
		return nil, nil, err
	}

	nodeBytes := nodeType.EngineMemoryBytes(eng)
	if !s.cfg.AllowMemoryOvercommit && s.cfg.HostMemoryBytes > 0 && nodeBytes > s.cfg.HostMemoryBytes {
		return nil, nil, api.ErrInsufficientCacheClusterCapacity("Node type %s needs %s per node but this host can give a node at most %s. Choose a smaller node type, or start cacheplane with --allow-memory-overcommit.", nodeType.Name, gib(nodeBytes), gib(s.cfg.HostMemoryBytes))
	}

	now := s.cfg.Now().UTC()
	spec := &model.ClusterSpec{
		ID:                       strings.ToLower(id),
		Engine:                   string(eng),
		EngineVersion:            version.Version,
		ParameterGroupFamily:     version.Family,
		CacheNodeType:            nodeType.Name,
		NumCacheNodes:            num,
		Port:                     port,
		AZMode:                   string(in.AZMode),
		PreferredAZ:              preferred,
		ParameterGroupName:       paramGroup,
		SubnetGroupName:          subnetGroup,
		SecurityGroupNames:       secGroupNames,
		SecurityGroupIDs:         in.SecurityGroupIds,
		MaintenanceWindow:        maintText,
		SnapshotWindow:           snapshotWindow,
		SnapshotRetentionLimit:   retention,
		AutoMinorVersionUpgrade:  in.AutoMinorVersionUpgrade == nil || *in.AutoMinorVersionUpgrade,
		NotificationTopicARN:     topic,
		AuthToken:                token,
		TransitEncryptionEnabled: tls,
		NetworkType:              networkType,
		IPDiscovery:              ipDiscovery,
		LogDelivery:              logs,
		CreatedAt:                now,
		Generation:               1,
	}
	if token != "" {
		spec.AuthTokenLastModified = &now
	}
	spec.ARN = model.ClusterARN(s.cfg.Region, s.cfg.AccountID, spec.ID)
	for i := 0; i < num; i++ {
		spec.Nodes = append(spec.Nodes, model.NodeSpec{ID: model.NodeID(i + 1), AZ: zones[i], CreatedAt: now})
	}
	return spec, tags, nil
}

// requestedSnapshotWindow is the request's snapshot window when it is given and
// well-formed (a malformed one is reported later, in the usual order).
func requestedSnapshotWindow(in *api.CreateCacheClusterMessage, eng engine.Name) (dailyRange, bool) {
	if eng == engine.Memcached || in.SnapshotWindow == nil {
		return dailyRange{}, false
	}
	d, err := parseSnapshotWindow(*in.SnapshotWindow)
	return d, err == nil
}

// checkEngineOnlyParams refuses parameters that belong to the other engine.
func checkEngineOnlyParams(in *api.CreateCacheClusterMessage, eng engine.Name) *api.Error {
	if eng == engine.Memcached {
		for name, given := range map[string]bool{
			"SnapshotRetentionLimit":    in.SnapshotRetentionLimit != nil,
			"SnapshotWindow":            in.SnapshotWindow != nil,
			"SnapshotName":              in.SnapshotName != nil,
			"SnapshotArns":              len(in.SnapshotArns) > 0,
			"LogDeliveryConfigurations": len(in.LogDeliveryConfigurations) > 0,
		} {
			if given {
				return api.ErrInvalidParameterCombination("%s is supported only for Valkey and Redis OSS clusters, not for Memcached; omit it.", name)
			}
		}
		return nil
	}
	if in.AZMode != "" {
		return api.ErrInvalidParameterCombinationMsg("AZMode is supported only for Memcached clusters; a Redis OSS cluster has one node. Use PreferredAvailabilityZone instead.")
	}
	if len(in.PreferredAvailabilityZones) > 1 {
		return api.ErrInvalidParameterCombinationMsg("PreferredAvailabilityZones with more than one zone is supported only for Memcached clusters; use PreferredAvailabilityZone.")
	}
	return nil
}

// networkSettings applies the IPv6 rules: Valkey 7.2+, Redis OSS 6.2+ or Memcached 1.6.6+, on Nitro node types.
func networkSettings(in *api.CreateCacheClusterMessage, eng engine.Name, v engine.Version, t engine.NodeType) (string, string, *api.Error) {
	nt := in.NetworkType
	if nt == "" {
		nt = api.NetworkTypeIpv4
	}
	ipd := in.IpDiscovery
	if ipd == "" {
		ipd = api.IpDiscoveryIpv4
		if nt == api.NetworkTypeIpv6 {
			ipd = api.IpDiscoveryIpv6
		}
	}
	if nt != api.NetworkTypeIpv4 || ipd == api.IpDiscoveryIpv6 {
		minVersion := map[engine.Name]string{engine.Redis: "6.2", engine.Memcached: "1.6.6", engine.Valkey: "7.2"}[eng]
		if engine.CompareVersions(v.Version, minVersion) < 0 {
			return "", "", api.ErrInvalidParameterCombination("NetworkType %s needs %s %s or later; this cluster asks for %s.", nt, eng, minVersion, v.Version)
		}
		if !nitroNodeType(t) {
			return "", "", api.ErrInvalidParameterCombination("NetworkType %s needs a node type built on the Nitro system; %s is not.", nt, t.Name)
		}
	}
	if nt == api.NetworkTypeIpv4 && ipd == api.IpDiscoveryIpv6 {
		return "", "", api.ErrInvalidParameterCombinationMsg("IpDiscovery ipv6 needs NetworkType ipv6 or dual_stack.")
	}
	if nt == api.NetworkTypeIpv6 && ipd == api.IpDiscoveryIpv4 {
		return "", "", api.ErrInvalidParameterCombinationMsg("IpDiscovery ipv4 is not possible with NetworkType ipv6.")
	}
	return string(nt), string(ipd), nil
}

// logDeliveryFrom validates log delivery requests (Redis OSS 6.0+ for slow-log, 6.2+ for engine-log).
func logDeliveryFrom(reqs []api.LogDeliveryConfigurationRequest, eng engine.Name, v engine.Version) ([]model.LogDelivery, *api.Error) {
	var out []model.LogDelivery
	seen := map[api.LogType]bool{}
	for i, r := range reqs {
		if r.LogType == "" || r.DestinationType == "" || r.LogFormat == "" {
			return nil, api.ErrInvalidParameterValue("LogDeliveryConfigurations entry %d needs LogType, DestinationType and LogFormat.", i+1)
		}
		if seen[r.LogType] {
			return nil, api.ErrInvalidParameterCombination("LogDeliveryConfigurations names log type %s twice.", r.LogType)
		}
		seen[r.LogType] = true
		min := "6.0"
		if r.LogType == api.LogTypeEngineLog {
			min = "6.2"
		}
		if eng == engine.Redis && engine.CompareVersions(v.Version, min) < 0 {
			return nil, api.ErrInvalidParameterCombination("Log type %s needs Redis OSS %s or later; this cluster asks for %s.", r.LogType, min, v.Version)
		}
		d := model.LogDelivery{LogType: string(r.LogType), DestinationType: string(r.DestinationType), LogFormat: string(r.LogFormat), Enabled: r.Enabled == nil || *r.Enabled}
		if r.DestinationDetails != nil && r.DestinationDetails.CloudWatchLogsDetails != nil {
			d.LogGroup = api.Deref(r.DestinationDetails.CloudWatchLogsDetails.LogGroup)
		}
		if r.DestinationDetails != nil && r.DestinationDetails.KinesisFirehoseDetails != nil {
			d.DeliveryStream = api.Deref(r.DestinationDetails.KinesisFirehoseDetails.DeliveryStream)
		}
		if r.DestinationType == api.DestinationTypeCloudwatchLogs && d.LogGroup == "" {
			return nil, api.ErrInvalidParameterValue("Log delivery to cloudwatch-logs needs DestinationDetails.CloudWatchLogsDetails.LogGroup.")
		}
		if r.DestinationType == api.DestinationTypeKinesisFirehose && d.DeliveryStream == "" {
			return nil, api.ErrInvalidParameterValue("Log delivery to kinesis-firehose needs DestinationDetails.KinesisFirehoseDetails.DeliveryStream.")
		}
		out = append(out, d)
	}
	return out, nil
}

// DescribeCacheClusters lists clusters (or one, matched without regard to case), in id order.
func (s *Service) DescribeCacheClusters(ctx context.Context, in *api.DescribeCacheClustersMessage) (*api.CacheClusterMessage, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	showNodes := api.Deref(in.ShowCacheNodeInfo)
	out := &api.CacheClusterMessage{CacheClusters: []api.CacheCluster{}}
	if in.CacheClusterId != nil {
		id := strings.ToLower(*in.CacheClusterId)
		var c *model.Cluster
		if err := s.store.View(func(tx *store.Tx) (err error) { c, err = tx.Cluster(id); return }); err != nil {
			return nil, err
		}
		if c == nil {
			return nil, api.ErrCacheClusterNotFound("CacheCluster not found: %s", id)
		}
		out.CacheClusters = append(out.CacheClusters, *s.toAPI(c, showNodes))
		return out, nil
	}
	notInRG := api.Deref(in.ShowCacheClustersNotInReplicationGroups)
	var last string
	more := false
	err := s.store.View(func(tx *store.Tx) error {
		return tx.Clusters(api.Deref(in.Marker), func(c *model.Cluster) bool {
			if notInRG && c.Spec.ReplicationGroupID != "" {
				return true
			}
			if len(out.CacheClusters) == limit {
				more = true
				return false
			}
			out.CacheClusters = append(out.CacheClusters, *s.toAPI(c, showNodes))
			last = c.Spec.ID
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.Marker = api.String(last)
	}
	return out, nil
}

// maxRecords applies the model's MaxRecords rule: default 100, minimum 20, maximum 100.
func maxRecords(p *int32) (int, *api.Error) {
	if p == nil {
		return 100, nil
	}
	if *p < 20 || *p > 100 {
		return 0, api.ErrInvalidParameterValue("The parameter MaxRecords must be between 20 and 100; %d was given.", *p)
	}
	return int(*p), nil
}

// DeleteCacheCluster marks the cluster for deletion; the reconciler stops and
// removes its nodes, then the cluster is gone (CacheClusterNotFound).
func (s *Service) DeleteCacheCluster(ctx context.Context, in *api.DeleteCacheClusterMessage) (*api.DeleteCacheClusterResult, error) {
	id := strings.ToLower(api.Deref(in.CacheClusterId))
	var result *model.Cluster
	err := s.store.Update(func(tx *store.Tx) error {
		c, err := tx.Cluster(id)
		if err != nil {
			return err
		}
		if c == nil {
			return api.ErrCacheClusterNotFound("CacheCluster not found: %s", id)
		}
		if in.FinalSnapshotIdentifier != nil {
			if c.Spec.Engine == string(engine.Memcached) {
				return api.ErrSnapshotFeatureNotSupported("Snapshots are not supported for Memcached clusters; delete %s without FinalSnapshotIdentifier.", id)
			}
			return api.ErrInvalidParameterValue("FinalSnapshotIdentifier is not supported by cacheplane yet (snapshots arrive in a later release); delete %s without it.", id)
		}
		if c.Spec.Deleted {
			return api.ErrInvalidCacheClusterState("Cache cluster %s is already being deleted.", id)
		}
		if c.Status.Status != model.StatusAvailable && !(c.Status.Status == model.StatusCreating && c.Status.Message != "") {
			return api.ErrInvalidCacheClusterState("Cache cluster %s is not in available state (it is %s); wait for it to become available.", id, c.Status.Status)
		}
		c.Spec.Deleted = true
		c.Spec.Generation++
		c.Status.Status = model.StatusDeleting
		result = c
		return tx.PutCluster(c)
	})
	if err != nil {
		return nil, err
	}
	s.cfg.Notify(id)
	return &api.DeleteCacheClusterResult{CacheCluster: s.toAPI(result, false)}, nil
}

// toAPI renders a cluster as AWS describes it. Node details appear only with
// ShowCacheNodeInfo and not while the cluster is being created or deleted.
func (s *Service) toAPI(c *model.Cluster, showNodes bool) *api.CacheCluster {
	sp := &c.Spec
	created := sp.CreatedAt
	out := &api.CacheCluster{
		CacheClusterId:             api.String(sp.ID),
		ARN:                        api.String(sp.ARN),
		ClientDownloadLandingPage:  api.String(ClientDownloadLandingPage),
		CacheNodeType:              api.String(sp.CacheNodeType),
		Engine:                     api.String(sp.Engine),
		EngineVersion:              api.String(sp.EngineVersion),
		CacheClusterStatus:         api.String(c.Status.Status),
		NumCacheNodes:              api.Int32(int32(sp.NumCacheNodes)),
		PreferredAvailabilityZone:  api.String(sp.PreferredAZ),
		CacheClusterCreateTime:     &created,
		PreferredMaintenanceWindow: api.String(sp.MaintenanceWindow),
		PendingModifiedValues:      &api.PendingModifiedValues{},
		CacheSecurityGroups:        []api.CacheSecurityGroupMembership{},
		CacheParameterGroup: &api.CacheParameterGroupStatus{
			CacheParameterGroupName: api.String(sp.ParameterGroupName),
			ParameterApplyStatus:    api.String(parameterApplyStatus(c)),
			CacheNodeIdsToReboot:    cacheNodeIDsToReboot(c),
		},
		CacheSubnetGroupName:               api.String(sp.SubnetGroupName),
		AutoMinorVersionUpgrade:            api.Bool(sp.AutoMinorVersionUpgrade),
		AuthTokenEnabled:                   api.Bool(sp.AuthToken != ""),
		AuthTokenLastModifiedDate:          sp.AuthTokenLastModified,
		TransitEncryptionEnabled:           api.Bool(sp.TransitEncryptionEnabled),
		AtRestEncryptionEnabled:            api.Bool(false),
		ReplicationGroupLogDeliveryEnabled: api.Bool(false),
		LogDeliveryConfigurations:          []api.LogDeliveryConfiguration{},
		NetworkType:                        api.NetworkType(sp.NetworkType),
		IpDiscovery:                        api.IpDiscovery(sp.IPDiscovery),
	}
	if sp.ReplicationGroupID != "" {
		out.ReplicationGroupId = api.String(sp.ReplicationGroupID)
	}
	if sp.TransitEncryptionEnabled {
		out.TransitEncryptionMode = api.TransitEncryptionModeRequired
	}
	if sp.Engine != string(engine.Memcached) {
		out.SnapshotRetentionLimit = api.Int32(int32(sp.SnapshotRetentionLimit))
		out.SnapshotWindow = api.String(sp.SnapshotWindow)
	}
	for _, name := range sp.SecurityGroupNames {
		out.CacheSecurityGroups = append(out.CacheSecurityGroups, api.CacheSecurityGroupMembership{CacheSecurityGroupName: api.String(name), Status: api.String("active")})
	}
	for _, id := range sp.SecurityGroupIDs {
		out.SecurityGroups = append(out.SecurityGroups, api.SecurityGroupMembership{SecurityGroupId: api.String(id), Status: api.String("active")})
	}
	if sp.NotificationTopicARN != "" {
		out.NotificationConfiguration = &api.NotificationConfiguration{TopicArn: api.String(sp.NotificationTopicARN), TopicStatus: api.String("active")}
	}
	for _, l := range sp.LogDelivery {
		d := api.LogDeliveryConfiguration{
			LogType: api.LogType(l.LogType), DestinationType: api.DestinationType(l.DestinationType), LogFormat: api.LogFormat(l.LogFormat),
			DestinationDetails: &api.DestinationDetails{},
			// Honest status: nothing here can deliver to CloudWatch Logs or Firehose.
			Status:  api.LogDeliveryConfigurationStatusError,
			Message: api.String("cacheplane cannot deliver logs to " + l.DestinationType + "; each node's log is in its directory under the data dir."),
		}
		if l.LogGroup != "" {
			d.DestinationDetails.CloudWatchLogsDetails = &api.CloudWatchLogsDestinationDetails{LogGroup: api.String(l.LogGroup)}
		}
		if l.DeliveryStream != "" {
			d.DestinationDetails.KinesisFirehoseDetails = &api.KinesisFirehoseDestinationDetails{DeliveryStream: api.String(l.DeliveryStream)}
		}
		out.LogDeliveryConfigurations = append(out.LogDeliveryConfigurations, d)
	}
	if e := sp.ConfigEndpoint; e != nil {
		out.ConfigurationEndpoint = &api.Endpoint{Address: api.String(e.Address), Port: api.Int32(int32(e.Port))}
	}
	busy := c.Status.Status == model.StatusCreating || c.Status.Status == model.StatusDeleting
	if showNodes && !busy {
		out.CacheNodes = []api.CacheNode{}
		for _, n := range sp.Nodes {
			node := n
			status := model.NodeCreating
			if ns := c.Status.NodeStatusByID(n.ID); ns != nil {
				status = ns.Status
			}
			out.CacheNodes = append(out.CacheNodes, api.CacheNode{
				CacheNodeId:              api.String(n.ID),
				CacheNodeStatus:          api.String(status),
				CacheNodeCreateTime:      &node.CreatedAt,
				Endpoint:                 &api.Endpoint{Address: api.String(n.Address), Port: api.Int32(int32(n.Port))},
				ParameterGroupStatus:     api.String(nodeParameterStatus(c, n.ID)),
				CustomerAvailabilityZone: api.String(n.AZ),
			})
		}
	}
	return out
}

// IsAPIError tells whether err is a fault to send to the client as is.
func IsAPIError(err error) bool {
	var e *api.Error
	return errors.As(err, &e)
}

// nodeTypeHint says why a node type does not fit an engine version.
func nodeTypeHint(t engine.NodeType, eng engine.Name) string {
	switch {
	case t.DataTiering:
		return " Data tiering (r6gd) node types are for replication groups with data tiering enabled."
	case !t.InRedisTable && eng == engine.Redis:
		return " This node type is offered only for Valkey."
	case t.Graviton:
		return " Graviton (g) node types need Redis OSS 5.0.6 or later, or Memcached 1.5.16 or later."
	}
	return " Choose another node type or engine version."
}
