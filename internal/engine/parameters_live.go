package engine

import (
	"context"
	"crypto/tls"
	"fmt"
)

// ConfigSet applies one parameter to a running redis/valkey node: AUTH
// <authToken> when the token is not empty, then CONFIG SET name value. The
// connection uses TLS when tlsConf is not nil. The engine refusing the
// value is a *ServerError.
func ConfigSet(ctx context.Context, address string, port int, authToken string, tlsConf *tls.Config, name, value string) error {
	conn, err := dialRedis(ctx, address, port, authToken, tlsConf)
	if err != nil {
		return err
	}
	defer conn.Close()
	reply, err := conn.do("CONFIG", "SET", name, value)
	if err != nil {
		return fmt.Errorf("engine: CONFIG SET %s on %s: %w", name, conn.addr, withCtx(ctx, err))
	}
	if reply != "OK" {
		return fmt.Errorf("engine: CONFIG SET %s on %s: unexpected reply %v", name, conn.addr, reply)
	}
	return nil
}

// ConfigGet reads one parameter of a running redis/valkey node with
// CONFIG GET; found is false when the engine has no such parameter.
func ConfigGet(ctx context.Context, address string, port int, authToken string, tlsConf *tls.Config, name string) (value string, found bool, err error) {
	conn, err := dialRedis(ctx, address, port, authToken, tlsConf)
	if err != nil {
		return "", false, err
	}
	defer conn.Close()
	reply, err := conn.do("CONFIG", "GET", name)
	if err != nil {
		return "", false, fmt.Errorf("engine: CONFIG GET %s on %s: %w", name, conn.addr, withCtx(ctx, err))
	}
	pairs, ok := reply.([]any)
	if !ok {
		return "", false, fmt.Errorf("engine: CONFIG GET %s on %s: unexpected reply %T", name, conn.addr, reply)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		k, _ := pairs[i].([]byte)
		v, _ := pairs[i+1].([]byte)
		if string(k) == name {
			return string(v), true, nil
		}
	}
	return "", false, nil
}

// dialRedis connects to a redis/valkey node and authenticates.
func dialRedis(ctx context.Context, address string, port int, authToken string, tlsConf *tls.Config) (*nodeConn, error) {
	conn, err := dialNode(ctx, address, port, tlsConf)
	if err != nil {
		return nil, err
	}
	if authToken != "" {
		if _, err := conn.do("AUTH", authToken); err != nil {
			conn.Close()
			return nil, fmt.Errorf("engine: AUTH on %s: %w", conn.addr, withCtx(ctx, err))
		}
	}
	return conn, nil
}

// withCtx puts the context's error in front of an I/O error it caused.
func withCtx(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return err
}
