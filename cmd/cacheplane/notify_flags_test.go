package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotifyFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"CACHEPLANE_NOTIFY_WEBHOOK": "http://127.0.0.1:9/env", "CACHEPLANE_NOTIFY_FILE": "/tmp/env.jsonl"}
	cfg, err := parseServeFlags(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NotifyWebhook != "http://127.0.0.1:9/env" || cfg.NotifyFile != "/tmp/env.jsonl" {
		t.Fatalf("from the environment: %q %q", cfg.NotifyWebhook, cfg.NotifyFile)
	}
	cfg, err = parseServeFlags([]string{"--notify-webhook", "http://127.0.0.1:9/flag", "--notify-file", "/tmp/flag.jsonl"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NotifyWebhook != "http://127.0.0.1:9/flag" || cfg.NotifyFile != "/tmp/flag.jsonl" {
		t.Fatalf("flags over the environment: %q %q", cfg.NotifyWebhook, cfg.NotifyFile)
	}
}

func TestNewNotifications(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	for _, c := range []struct {
		webhook, file string
		err           string // "" = accepted
		none          bool
	}{
		{none: true},
		{webhook: "http://127.0.0.1:8080/hook"},
		{file: filepath.Join(dir, "n.jsonl")},
		{webhook: "https://example.com/sns", file: filepath.Join(dir, "both.jsonl")},
		{webhook: "127.0.0.1:8080/hook", err: "--notify-webhook"},
		{file: filepath.Join(dir, "missing", "n.jsonl"), err: "--notify-file"},
	} {
		d, err := newNotifications(&serveConfig{NotifyWebhook: c.webhook, NotifyFile: c.file}, log)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want one naming %s", c, err, c.err)
			}
		case err != nil:
			t.Errorf("%+v: %v", c, err)
		case c.none != (d == nil):
			t.Errorf("%+v: dispatcher %v", c, d)
		}
		if d != nil {
			d.Close(context.Background())
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "n.jsonl")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("notification file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
}
