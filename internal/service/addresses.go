package service

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// AddressAllocator hands out node listen addresses. Linux routes all of
// 127.0.0.0/8 to the loopback device, so every IPv4 node gets an address of its
// own and listens on the port the user asked for, as every AWS node has its own
// host name and the same port. IPv6 has only ::1, so IPv6 nodes share it and
// get distinct ports instead.
type AddressAllocator struct {
	Base netip.Addr // first IPv4 address handed out, e.g. 127.0.1.1
	Last netip.Addr // last IPv4 address handed out
	// Free reports whether address:port can be bound right now (nothing else on
	// this host listens there). nil means "always free" (tests with a fake driver).
	Free func(address string, port int) bool
}

// NewAddressAllocator allocates from the given IPv4 range and checks binds.
func NewAddressAllocator(base, last netip.Addr) *AddressAllocator {
	return &AddressAllocator{Base: base, Last: last, Free: CanBind}
}

// CanBind tries to listen on address:port and closes the listener at once.
func CanBind(address string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// claimed tells whether the store already has a node on address:port.
type claimed func(address string, port int) bool

// next finds a free endpoint for one node. taken holds endpoints claimed earlier in the same request.
// hint is the address to try first (the one after the previous allocation).
func (a *AddressAllocator) next(ipv6 bool, port int, hint string, inStore claimed, taken map[string]bool) (string, int, error) {
	free := func(addr string, p int) bool {
		key := net.JoinHostPort(addr, strconv.Itoa(p))
		if taken[key] || inStore(addr, p) {
			return false
		}
		if a.Free != nil && !a.Free(addr, p) {
			return false
		}
		taken[key] = true
		return true
	}
	if ipv6 {
		for p := port; p <= 65535; p++ {
			if free("::1", p) {
				return "::1", p, nil
			}
		}
		return "", 0, fmt.Errorf("no free port on ::1 from %d", port)
	}
	// Start where the last allocation stopped, so that allocating stays cheap
	// with thousands of nodes; wrap around to reuse freed addresses.
	start := a.Base
	if h, err := netip.ParseAddr(hint); err == nil && h.Is4() && h.Compare(a.Base) >= 0 && h.Compare(a.Last) <= 0 {
		start = h
	}
	for _, r := range [][2]netip.Addr{{start, a.Last}, {a.Base, start}} {
		for addr := r[0]; addr.IsValid() && addr.Compare(r[1]) <= 0; addr = addr.Next() {
			if free(addr.String(), port) {
				return addr.String(), port, nil
			}
		}
	}
	return "", 0, fmt.Errorf("no free node address in %s-%s for port %d", a.Base, a.Last, port)
}
