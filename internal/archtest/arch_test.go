package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/cacheplane/cacheplane/"

type pkg struct {
	dir     string
	hasDoc  bool
	imports map[string][]string // import path -> files importing it (non-test files only)
}

func loadPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	root := "../.."
	pkgs := map[string]*pkg{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		p := pkgs[rel]
		if p == nil {
			p = &pkg{dir: rel, imports: map[string][]string{}}
			pkgs[rel] = p
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			p.hasDoc = true
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			p.imports[ip] = append(p.imports[ip], filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for dir, p := range loadPackages(t) {
		if !p.hasDoc {
			t.Errorf("package %s has no package doc comment", dir)
		}
	}
}

func isStdlib(path string) bool {
	first := strings.SplitN(path, "/", 2)[0]
	return !strings.Contains(first, ".")
}

func TestImportBoundaries(t *testing.T) {
	pkgs := loadPackages(t)
	stdlibOnly := []string{"internal/api", "internal/awsquery", "internal/sigv4", "internal/model"}
	for _, dir := range stdlibOnly {
		p := pkgs[dir]
		if p == nil {
			t.Errorf("package %s is missing", dir)
			continue
		}
		for ip := range p.imports {
			if !isStdlib(ip) {
				t.Errorf("%s must use only the standard library, but imports %s", dir, ip)
			}
		}
	}
	forbidden := map[string][]string{
		"internal/service": {module + "internal/driver", module + "internal/reconcile"},
		"internal/driver":  {module + "internal/engine", module + "internal/service", module + "internal/reconcile"},
		"internal/engine":  {module + "internal/driver", module + "internal/store", module + "internal/service"},
		"internal/store":   {module + "internal/api", module + "internal/service"},
	}
	for dir, p := range pkgs {
		for prefix, bad := range forbidden {
			if dir != prefix && !strings.HasPrefix(dir, prefix+"/") {
				continue
			}
			for ip := range p.imports {
				for _, b := range bad {
					if ip == b || strings.HasPrefix(ip, b+"/") {
						t.Errorf("%s must not import %s", dir, ip)
					}
				}
			}
		}
	}
	// The engine knows nothing about processes: only binary discovery may exec.
	for ip, files := range pkgs["internal/engine"].imports {
		if ip == "os/exec" {
			for _, f := range files {
				if f != "binaries.go" {
					t.Errorf("internal/engine/%s imports os/exec; only binaries.go may", f)
				}
			}
		}
	}
}
