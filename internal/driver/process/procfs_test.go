package process

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	// comm may contain spaces and parentheses.
	line := "4242 (redis (x) y) S 1 4242 4242 0 -1 4194560 162 0 0 0 1 2 0 0 20 0 4 0 987654 1234 56 18446744073709551615\n"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.state != 'S' || st.pgrp != 4242 || st.startTime != 987654 {
		t.Fatalf("parsed %+v", st)
	}
	if _, err := parseStat([]byte("12 (x) S 1 2")); err == nil {
		t.Fatal("short stat accepted")
	}
	if (procStat{state: 'Z'}).dead() != true || (procStat{state: 'S'}).dead() {
		t.Fatal("dead()")
	}
}

func TestReadStatSelf(t *testing.T) {
	st, err := readStat(os.Getpid())
	if err != nil || st.startTime == 0 || st.dead() {
		t.Fatalf("readStat(self) = %+v, %v", st, err)
	}
	if _, err := readStat(0); err == nil {
		t.Fatal("pid 0 accepted")
	}
}

func TestSafeName(t *testing.T) {
	cases := map[string]string{
		"my-redis/0001": "my-redis_2f0001",
		"a_b":           "a_5fb",
		"..":            "_2e_2e",
		"UPPER-9":       "UPPER-9",
	}
	for in, want := range cases {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
	// Injective on tricky pairs.
	if safeName("a/b") == safeName("a_2fb") {
		t.Error("collision")
	}
	long := make([]byte, 500)
	for i := range long {
		long[i] = '/'
	}
	if n := len(safeName(string(long))); n > 200 {
		t.Errorf("long name not shortened: %d", n)
	}
	if safeName(string(long)) == safeName(string(long[:499])) {
		t.Error("hashed names collide")
	}
}
