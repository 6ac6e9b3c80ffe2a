// Package api is cacheplane's wire layer for the ElastiCache Query API
// (version 2015-02-02): request and response structures, enumerations, the
// operation table and the fault codes, all generated from the botocore service
// model kept in model/ (documentation stripped; see model/PROVENANCE). Only the
// few hand-written files here (this one, common_errors.go) are not generated.
//
// Regenerate with `go run ./cmd/apigen gen`; TestGeneratedCodeIsCurrent in
// cmd/apigen fails when the committed code and the model drift apart.
package api

import (
	"context"
	"fmt"
)

//go:generate go run ../../cmd/apigen gen -model model/service-2.json -out .

// Error is a fault in AWS terms: the wire Code, the HTTP status, and whether the
// caller (Sender) or the service (Receiver) is at fault.
type Error struct {
	Code       string
	Message    string
	HTTPStatus int
	Sender     bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorInfo describes one exception shape of the model.
type ErrorInfo struct {
	Shape      string
	Code       string
	HTTPStatus int
	Sender     bool
}

// Operation is one row of the generated operation table.
type Operation struct {
	Name          string
	ResultWrapper string   // element wrapping the result, "" when the operation returns nothing
	ErrorCodes    []string // wire codes the model declares for the operation
	NewInput      func() any
	Invoke        func(ctx context.Context, svc Service, in any) (any, error)
}

// String, Int32 and Bool return pointers, for filling the optional members of generated structures.
func String(s string) *string { return &s }

// Int32 returns a pointer to i.
func Int32(i int32) *int32 { return &i }

// Bool returns a pointer to b.
func Bool(b bool) *bool { return &b }

// Deref returns *p, or the zero value when p is nil.
func Deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Errorf builds an Error with a formatted message; for codes the model does not declare.
func Errorf(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, HTTPStatus: status, Sender: status < 500, Message: fmt.Sprintf(format, args...)}
}
