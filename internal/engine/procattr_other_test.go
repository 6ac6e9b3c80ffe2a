//go:build !linux

package engine

import "os/exec"

func dieWithTest(*exec.Cmd) {}
