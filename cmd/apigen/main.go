// Command apigen generates cacheplane's wire layer (package internal/api) from the
// ElastiCache service model that botocore ships.
//
//	apigen strip -botocore DIR -version X   copy the model into internal/api/model without documentation strings
//	apigen gen                              regenerate internal/api/*_gen.go from internal/api/model
//
// It uses only the standard library and its output is deterministic, so that a
// test can regenerate in memory and compare with what is committed.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apigen strip|gen [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "strip":
		err = runStrip(os.Args[2:])
	case "gen":
		err = runGen(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apigen:", err)
		os.Exit(1)
	}
}

func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	modelPath := fs.String("model", "internal/api/model/service-2.json", "stripped service model")
	out := fs.String("out", "internal/api", "output directory")
	_ = fs.Parse(args)
	data, err := os.ReadFile(*modelPath)
	if err != nil {
		return err
	}
	files, err := generate(data)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(*out, n), files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func runStrip(args []string) error {
	fs := flag.NewFlagSet("strip", flag.ExitOnError)
	src := fs.String("botocore", "", "botocore data directory of the service, e.g. .../botocore/data/elasticache/2015-02-02")
	version := fs.String("version", "", "botocore version the directory belongs to (recorded in PROVENANCE)")
	out := fs.String("out", "internal/api/model", "output directory")
	_ = fs.Parse(args)
	if *src == "" || *version == "" {
		return fmt.Errorf("strip needs -botocore and -version")
	}
	raw, err := readMaybeGzip(filepath.Join(*src, "service-2.json.gz"))
	if err != nil {
		return err
	}
	stripped, err := stripDocs(raw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "service-2.json"), stripped, 0o644); err != nil {
		return err
	}
	prov := fmt.Sprintf(`source: botocore %s, data/elasticache/2015-02-02/service-2.json.gz
original sha256 (uncompressed): %s
service-2.json sha256: %s
transformation: every "documentation" member removed (cmd/apigen strip); nothing else changed, key order kept.
regenerate: go run ./cmd/apigen strip -botocore <dir> -version <v> && go run ./cmd/apigen gen
`, *version, sha(raw), sha(stripped))
	for _, extra := range []string{"waiters-2.json", "paginators-1.json"} {
		data, err := os.ReadFile(filepath.Join(*src, extra))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, extra), data, 0o644); err != nil {
			return err
		}
		prov += fmt.Sprintf("%s sha256: %s (copied unchanged)\n", extra, sha(data))
	}
	return os.WriteFile(filepath.Join(*out, "PROVENANCE"), []byte(prov), 0o644)
}

// stripDocs removes documentation strings, keeping everything else in order.
func stripDocs(raw []byte) ([]byte, error) {
	v, err := parseOrdered(raw)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	v.without("documentation").encode(&buf, "")
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func readMaybeGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
