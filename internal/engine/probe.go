package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ServerError is an error reply from the engine, e.g. redis'
// "NOAUTH Authentication required." or memcached's "SERVER_ERROR ...".
type ServerError struct {
	Message string
}

func (e *ServerError) Error() string { return "server replied: " + e.Message }

// Code is the first word of the reply: "NOAUTH", "WRONGPASS", "LOADING",
// "ERR", "SERVER_ERROR"...
func (e *ServerError) Code() string {
	code, _, _ := strings.Cut(e.Message, " ")
	return code
}

// IsAuthError reports whether err is the engine refusing a client for want
// of (the right) AUTH token.
func IsAuthError(err error) bool {
	var se *ServerError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case "NOAUTH", "WRONGPASS", "NOPERM":
		return true
	case "ERR":
		// redis before 6: "ERR invalid password", "ERR Client sent AUTH, but no password is set"
		return strings.Contains(strings.ToLower(se.Message), "password")
	}
	return false
}

// Probe checks that a node answers its engine's health check before ctx
// ends, and returns the server version the node reports:
//   - redis / valkey: AUTH <authToken> when the token is not empty, PING
//     (which must answer PONG), then INFO server (valkey_version, else
//     redis_version);
//   - memcached: "version" (which must answer "VERSION x.y.z"); authToken
//     is not used.
//
// The connection uses TLS when tlsConf is not nil. An error reply from the
// engine is a *ServerError.
func Probe(ctx context.Context, e Name, address string, port int, authToken string, tlsConf *tls.Config) (serverVersion string, err error) {
	if !e.Valid() {
		return "", errorf("unknown engine %q", e)
	}
	conn, err := dialNode(ctx, address, port, tlsConf)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	switch e {
	case Memcached:
		serverVersion, err = probeMemcached(conn)
	default:
		serverVersion, err = probeRedis(conn, authToken)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return "", fmt.Errorf("engine: probe %s %s: %w", e, conn.addr, err)
	}
	return serverVersion, nil
}

// nodeConn is a connection to a node whose reads and writes end with ctx.
type nodeConn struct {
	net.Conn
	r    *bufio.Reader
	addr string
	stop func() bool
}

func (c *nodeConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func dialNode(ctx context.Context, address string, port int, tlsConf *tls.Config) (*nodeConn, error) {
	if address == "" || port < 1 || port > 65535 {
		return nil, errorf("bad node address %q port %d", address, port)
	}
	addr := net.JoinHostPort(address, strconv.Itoa(port))
	var conn net.Conn
	var err error
	if tlsConf != nil {
		d := tls.Dialer{Config: tlsConf}
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("engine: connect %s: %w", addr, err)
	}
	// Interrupt any read or write once ctx is done. (No SetDeadline from
	// ctx.Deadline: the I/O error must come after ctx.Err() is set, so that
	// callers can tell a timeout by errors.Is.)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return &nodeConn{Conn: conn, r: bufio.NewReader(conn), addr: addr, stop: stop}, nil
}

func probeRedis(c *nodeConn, authToken string) (string, error) {
	if authToken != "" {
		if _, err := c.do("AUTH", authToken); err != nil {
			return "", fmt.Errorf("AUTH: %w", err)
		}
	}
	reply, err := c.do("PING")
	if err != nil {
		return "", fmt.Errorf("PING: %w", err)
	}
	if reply != "PONG" {
		return "", fmt.Errorf("PING: unexpected reply %q", reply)
	}
	reply, err = c.do("INFO", "server")
	if err != nil {
		return "", fmt.Errorf("INFO: %w", err)
	}
	info, ok := reply.([]byte)
	if !ok {
		return "", fmt.Errorf("INFO: unexpected reply %T", reply)
	}
	fields := parseInfo(info)
	for _, k := range []string{"valkey_version", "redis_version"} {
		if v := fields[k]; v != "" {
			return v, nil
		}
	}
	return "", errors.New("INFO: no redis_version field")
}

// parseInfo splits an INFO reply into its key:value fields.
func parseInfo(b []byte) map[string]string {
	out := make(map[string]string)
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

func probeMemcached(c *nodeConn) (string, error) {
	if _, err := io.WriteString(c, "version\r\n"); err != nil {
		return "", err
	}
	line, err := c.readLine()
	if err != nil {
		return "", err
	}
	if v, ok := strings.CutPrefix(line, "VERSION "); ok && v != "" {
		return v, nil
	}
	if line == "ERROR" || strings.HasPrefix(line, "SERVER_ERROR") || strings.HasPrefix(line, "CLIENT_ERROR") {
		return "", &ServerError{Message: line}
	}
	return "", fmt.Errorf("version: unexpected reply %q", line)
}

// Limits on what a probe reads, so that a confused peer cannot make it
// allocate without bound.
const (
	maxLine  = 64 << 10
	maxBulk  = 16 << 20
	maxArray = 1 << 20
)

// readLine reads one CRLF-terminated line and returns it without the CRLF.
func (c *nodeConn) readLine() (string, error) {
	var buf []byte
	for {
		part, isPrefix, err := c.r.ReadLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		buf = append(buf, part...)
		if len(buf) > maxLine {
			return "", errors.New("reply line too long")
		}
		if !isPrefix {
			return string(buf), nil
		}
	}
}

// do sends a RESP command and reads its reply: a string for a simple
// string, int64 for an integer, []byte (nil for a null) for a bulk string,
// []any for an array. An error reply is returned as a *ServerError.
func (c *nodeConn) do(args ...string) (any, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write(b.Bytes()); err != nil {
		return nil, err
	}
	reply, err := c.readReply()
	if err != nil {
		return nil, err
	}
	if se, ok := reply.(*ServerError); ok {
		return nil, se
	}
	return reply, nil
}

func (c *nodeConn) readReply() (any, error) {
	line, err := c.readLine()
	if err != nil {
		return nil, err
	}
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return &ServerError{Message: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer reply %q", line)
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxBulk {
			return nil, fmt.Errorf("bad bulk length %q", line)
		}
		if n == -1 {
			return []byte(nil), nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return nil, errors.New("bulk reply not terminated by CRLF")
		}
		return buf[:n], nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxArray {
			return nil, fmt.Errorf("bad array length %q", line)
		}
		if n == -1 {
			return []any(nil), nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.readReply(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
