package reliability

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// binary is the cacheplane binary built by TestMain.
var binary string

// skipReason is set when the engines are not installed.
var skipReason string

// long tells whether CACHEPLANE_LONG=1 asked for the long form.
var long = os.Getenv("CACHEPLANE_LONG") == "1"

func TestMain(m *testing.M) {
	flag.Parse()
	for _, b := range []string{"redis-server", "memcached"} {
		if _, err := exec.LookPath(b); err != nil {
			skipReason = b + " is not installed"
		}
	}
	dir, err := os.MkdirTemp("", "cacheplane-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cacheplane")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/cacheplane")
	start := time.Now()
	cmd := exec.Command(goTool, args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cacheplane:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "built %s (race=%v) in %s\n", binary, raceEnabled, time.Since(start).Round(time.Millisecond))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireEngines(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}
