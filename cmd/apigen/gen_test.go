package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const repoRoot = "../.."

// TestGeneratedCodeIsCurrent is the drift test: regenerating from the committed
// model must reproduce the committed internal/api/*_gen.go byte for byte.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	model, err := os.ReadFile(filepath.Join(repoRoot, "internal/api/model/service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := generate(model)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(repoRoot, "internal/api", name))
		if err != nil {
			t.Fatalf("%s: %v (run go run ./cmd/apigen gen)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("internal/api/%s is stale: run `go run ./cmd/apigen gen`", name)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(repoRoot, "internal/api/*_gen.go"))
	for _, m := range matches {
		if _, ok := files[filepath.Base(m)]; !ok {
			t.Errorf("%s is not produced by the generator any more; delete it", m)
		}
	}
}

// TestProvenanceMatchesModel checks that PROVENANCE names the hash of the committed model.
func TestProvenanceMatchesModel(t *testing.T) {
	model, err := os.ReadFile(filepath.Join(repoRoot, "internal/api/model/service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := os.ReadFile(filepath.Join(repoRoot, "internal/api/model/PROVENANCE"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(model)
	if !strings.Contains(string(prov), "service-2.json sha256: "+hex.EncodeToString(sum[:])) {
		t.Fatalf("PROVENANCE does not record the sha256 of service-2.json; re-run apigen strip")
	}
}

// TestStrippedModelMatchesBotocore re-strips the installed botocore model when it is
// the version PROVENANCE names, proving the committed copy is the documented transformation.
func TestStrippedModelMatchesBotocore(t *testing.T) {
	prov, err := os.ReadFile(filepath.Join(repoRoot, "internal/api/model/PROVENANCE"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`botocore (\S+),`).FindStringSubmatch(string(prov))
	out, err := exec.Command("python3", "-c", "import botocore,os;print(botocore.__version__);print(os.path.dirname(botocore.__file__))").Output()
	if err != nil || want == nil {
		t.Skip("botocore not importable here")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != want[1] {
		t.Skipf("installed botocore is %q, PROVENANCE names %s", lines[0], want[1])
	}
	f, err := os.Open(filepath.Join(lines[1], "data/elasticache/2015-02-02/service-2.json.gz"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	stripped, err := stripDocs(raw)
	if err != nil {
		t.Fatal(err)
	}
	committed, _ := os.ReadFile(filepath.Join(repoRoot, "internal/api/model/service-2.json"))
	if !bytes.Equal(stripped, committed) {
		t.Fatal("committed model differs from stripping the installed botocore model")
	}
}

func TestConstName(t *testing.T) {
	for in, want := range map[string]string{"dual_stack": "DualStack", "cache-cluster": "CacheCluster", "SET": "Set", "ipv4": "Ipv4"} {
		if got := constName(in); got != want {
			t.Errorf("constName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestModelCheckRefusesDanglingShape(t *testing.T) {
	bad := []byte(`{"metadata":{"apiVersion":"1","xmlNamespace":"x"},"operations":{},"shapes":{"A":{"type":"structure","members":{"B":{"shape":"Missing"}}}}}`)
	if _, err := loadModel(bad); err == nil {
		t.Fatal("a member naming an unknown shape must be refused")
	}
}
