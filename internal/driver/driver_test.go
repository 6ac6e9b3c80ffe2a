package driver

import "testing"

func TestValidateFileName(t *testing.T) {
	for _, ok := range []string{"redis.conf", "tls/ca.pem", "a..b", "..a", ".hidden"} {
		if err := ValidateFileName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/../../x", "a/..", "/etc/passwd", "a//b", "a/./b", "a/", "x\x00y"} {
		if err := ValidateFileName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	good := NodeSpec{ID: "r/1", Binary: "/usr/bin/redis-server", Dir: "/var/lib/cacheplane/r-1", Port: 6379,
		Env: []string{"A=b"}, Files: []File{{Name: "redis.conf"}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*NodeSpec){
		func(s *NodeSpec) { s.ID = "" },
		func(s *NodeSpec) { s.Binary = "redis-server" },
		func(s *NodeSpec) { s.Dir = "" },
		func(s *NodeSpec) { s.Dir = "/" },
		func(s *NodeSpec) { s.Dir = "rel" },
		func(s *NodeSpec) { s.Port = 70000 },
		func(s *NodeSpec) { s.Env = []string{"=x"} },
		func(s *NodeSpec) { s.Files = []File{{Name: "a"}, {Name: "a"}} },
		func(s *NodeSpec) { s.Files = []File{{Name: "../a"}} },
	}
	for i, mutate := range bad {
		s := good
		mutate(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("case %d accepted: %+v", i, s)
		}
	}
}

func TestFileMode(t *testing.T) {
	if m := (File{}).FileMode(); m != 0o600 {
		t.Errorf("default mode %v", m)
	}
	if m := (File{Mode: 0o644}).FileMode(); m != 0o644 {
		t.Errorf("mode %v", m)
	}
}
