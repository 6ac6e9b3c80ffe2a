package hostinfo

import "testing"

func TestMemoryBytesReadsMemTotal(t *testing.T) {
	if got := MemoryBytes(); got < 64<<20 {
		t.Fatalf("MemoryBytes() = %d; this host surely has more than 64 MiB", got)
	}
}
