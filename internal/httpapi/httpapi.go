// Package httpapi is the HTTP edge of cacheplane: it gives each request an id,
// bounds and reads the body once, verifies the SigV4 signature, decodes the
// Query parameters, dispatches to the service through the generated operation
// table, and is the single place where errors become wire errors. A panic
// anywhere below it becomes an InternalFailure with no internals in it.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/awsquery"
	"github.com/cacheplane/cacheplane/internal/sigv4"
)

// MaxBodyBytes bounds a request body; AWS Query requests are small.
const MaxBodyBytes = 1 << 20

// Handler serves the ElastiCache Query API.
type Handler struct {
	svc      api.Service
	ops      map[string]*api.Operation
	codec    *awsquery.Codec
	verifier *sigv4.Verifier
	log      *slog.Logger
}

// New builds the handler. verifier checks every request's signature.
func New(svc api.Service, verifier *sigv4.Verifier, log *slog.Logger) *Handler {
	return &Handler{svc: svc, ops: api.Operations(), codec: awsquery.NewCodec(), verifier: verifier, log: log}
}

// wireError is what every failure is turned into before it is written.
type wireError struct {
	code    string
	message string
	status  int
	sender  bool
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	action := ""
	status := http.StatusOK
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic serving request", "request_id", reqID, "action", action, "panic", p, "stack", string(debug.Stack()))
			status = h.writeError(w, reqID, wireError{api.CodeInternalFailure, "The request processing has failed because of an unknown error, exception or failure. Request id " + reqID + ".", 500, false})
		}
		h.log.Info("request", "request_id", reqID, "method", r.Method, "action", action, "status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	}()
	action, status = h.serve(w, r, reqID)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, reqID string) (string, int) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return "", h.writeError(w, reqID, wireError{"InvalidAction", "Only GET and POST requests are accepted.", 405, true})
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", h.writeError(w, reqID, wireError{api.CodeRequestEntityTooLarge, "The request body is larger than 1 MiB.", 413, true})
		}
		return "", h.writeError(w, reqID, wireError{"MalformedQueryString", "The request body could not be read.", 400, true})
	}
	if _, serr := h.verifier.Verify(r, body); serr != nil {
		return "", h.writeError(w, reqID, wireError{serr.Code, serr.Message, serr.HTTPStatus, true})
	}
	values, werr := formValues(r, body)
	if werr != nil {
		return "", h.writeError(w, reqID, *werr)
	}
	params, qerr := awsquery.Parse(values)
	if qerr != nil {
		return "", h.writeError(w, reqID, fromQuery(qerr))
	}
	action, _ := params.Get("Action")
	if action == "" {
		return "", h.writeError(w, reqID, wireError{api.CodeMissingAction, "The request must contain the parameter Action.", 400, true})
	}
	version, ok := params.Get("Version")
	if !ok || version == "" {
		return action, h.writeError(w, reqID, wireError{api.CodeMissingParameter, "The request must contain the parameter Version.", 400, true})
	}
	op := h.ops[action]
	if op == nil || version != api.APIVersion {
		return action, h.writeError(w, reqID, wireError{api.CodeInvalidAction, "Could not find operation " + action + " for version " + version + ".", 400, true})
	}
	in := op.NewInput()
	if qerr := h.codec.Decode(params, in); qerr != nil {
		return action, h.writeError(w, reqID, fromQuery(qerr))
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	out, err := op.Invoke(ctx, h.svc, in)
	if err != nil {
		return action, h.writeError(w, reqID, h.fromService(reqID, action, err))
	}
	doc := h.codec.EncodeResponse(awsquery.Response{
		Operation: op.Name, ResultWrapper: op.ResultWrapper, Namespace: api.XMLNamespace, RequestID: reqID, Result: out,
	})
	writeXML(w, reqID, http.StatusOK, doc)
	return action, http.StatusOK
}

// formValues merges the URL query (minus presigning parameters) and, for POST, the form body.
func formValues(r *http.Request, body []byte) (url.Values, *wireError) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &wireError{api.CodeMalformedQueryString, "The query string contains a syntax error.", 404, true}
	}
	for k := range values {
		if strings.HasPrefix(k, "X-Amz-") {
			delete(values, k)
		}
	}
	if r.Method == http.MethodPost && len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return nil, &wireError{api.CodeInvalidQueryParameter, "The request body must be application/x-www-form-urlencoded, not " + ct + ".", 400, true}
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &wireError{api.CodeMalformedQueryString, "The request body is not a valid form-encoded string.", 404, true}
		}
		for k, v := range form {
			values[k] = append(values[k], v...)
		}
	}
	return values, nil
}

func fromQuery(e *awsquery.Error) wireError {
	return wireError{e.Code, e.Message, e.HTTPStatus, e.HTTPStatus < 500}
}

// fromService maps a service error; anything that is not an AWS fault is an
// internal failure whose details go to the log, never to the client.
func (h *Handler) fromService(reqID, action string, err error) wireError {
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		return wireError{apiErr.Code, apiErr.Message, apiErr.HTTPStatus, apiErr.Sender}
	}
	h.log.Error("internal error", "request_id", reqID, "action", action, "err", err)
	return wireError{api.CodeInternalFailure, "The request processing has failed because of an unknown error, exception or failure. Request id " + reqID + ".", 500, false}
}

func (h *Handler) writeError(w http.ResponseWriter, reqID string, e wireError) int {
	writeXML(w, reqID, e.status, awsquery.EncodeError(api.XMLNamespace, reqID, e.code, e.message, e.sender))
	return e.status
}

func writeXML(w http.ResponseWriter, reqID string, status int, doc []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(doc)
}

// newRequestID returns a UUID-shaped random id, as AWS request ids look.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
