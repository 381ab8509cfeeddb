package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Limits on receivers, which are untrusted.
const (
	// Timeout bounds one delivery: connecting, sending, the answer.
	Timeout = 10 * time.Second
	// MaxResponse is how much of an answer is read; the rest is dropped.
	MaxResponse = 64 << 10
	// excerptSize is how much of the answer the delivery log keeps.
	excerptSize = 1024
)

// Options configure a Sender.
type Options struct {
	// Production refuses plain http and any address that is not public
	// (loopback, private, link-local, metadata, ...), checked on the
	// address actually dialled. Outside production both are allowed, so
	// that a receiver on the same machine works.
	Production bool
	// LookupHost replaces the resolver (tests: a name resolving to a
	// private address); nil uses the system's.
	LookupHost func(ctx context.Context, host string) ([]string, error)
	// UserAgent is sent with every delivery.
	UserAgent string
}

// Sender delivers messages. It is safe for concurrent use.
type Sender struct {
	o      Options
	client *http.Client
}

// ErrForbiddenAddress is the error of a delivery refused because the
// receiver's address is not public (production).
var ErrForbiddenAddress = errors.New("webhooks: the receiver's address is not public")

// NewSender returns a Sender with its own HTTP client: no proxy, no
// redirects followed, the timeout above, and in production a dialer that
// refuses non-public addresses.
func NewSender(o Options) *Sender {
	dialer := &net.Dialer{Timeout: Timeout, KeepAlive: 30 * time.Second}
	if o.Production {
		dialer.Control = refuseNonPublic
	}
	dial := dialer.DialContext
	if o.LookupHost != nil {
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if _, err := netip.ParseAddr(host); err == nil {
				return dialer.DialContext(ctx, network, addr)
			}
			ips, err := o.LookupHost(ctx, host)
			if err != nil {
				return nil, err
			}
			var errs []error
			for _, ip := range ips {
				c, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip, port))
				if err == nil {
					return c, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // never through a proxy: the dialled address is the receiver's
		DialContext:           dial,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Sender{o: o, client: &http.Client{
		Transport:     tr,
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// refuseNonPublic is the dialer's Control: it sees the address about to be
// connected, after any DNS resolution, so a name cannot rebind around it.
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ErrForbiddenAddress
	}
	if !Public(ip) {
		return fmt.Errorf("%w (%s)", ErrForbiddenAddress, ip)
	}
	return nil
}

// metadata are cloud metadata and other special-purpose ranges that the
// standard library's classifications miss.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 to any IPv4, private ones included
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Public reports whether ip is an address a webhook may be delivered to in
// production: not loopback, private, link-local (169.254.169.254, the cloud
// metadata address, included), multicast, unspecified or reserved.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// The problems CheckURL finds with an endpoint URL; their text is what the
// API says, and the domain names each so that pages word it.
var (
	ErrURLTooLong   = errors.New("The URL is too long.")
	ErrURLNotFull   = errors.New("Enter a full URL starting with https://.")
	ErrURLUserinfo  = errors.New("The URL must not contain a user name or password.")
	ErrURLNotHTTPS  = errors.New("The URL must start with https://.")
	ErrURLNotPublic = errors.New("The URL must point at a public address.")
)

// CheckURL validates an endpoint URL as entered: absolute http(s) with a
// host, no credentials; in production https only and no literal address
// that is not public (names are checked when dialled).
func CheckURL(raw string, production bool) error {
	if len(raw) > 2000 {
		return ErrURLTooLong
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ErrURLNotFull
	}
	if u.User != nil {
		return ErrURLUserinfo
	}
	if production && u.Scheme != "https" {
		return ErrURLNotHTTPS
	}
	if production {
		host := strings.Trim(u.Hostname(), "[]")
		if ip, err := netip.ParseAddr(host); err == nil && !Public(ip) {
			return ErrURLNotPublic
		}
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return ErrURLNotPublic
		}
	}
	return nil
}

// Request is one delivery attempt of one message.
type Request struct {
	URL     string
	ID      string    // webhook-id: the message's, the same on every attempt
	Time    time.Time // webhook-timestamp: when this attempt is sent
	Payload []byte
	// Secrets sign the message; after a rotation, the new and the old one.
	Secrets []string
}

// Result is what a delivery attempt came to.
type Result struct {
	OK         bool // a 2xx answer
	StatusCode int  // 0 when no answer came
	Latency    time.Duration
	// Excerpt is the start of the answer's body (valid UTF-8), for the log.
	Excerpt string
	// Err says why no 2xx answer came (connection refused, timeout,
	// forbidden address, a redirect that was not followed, ...).
	Err error
}

// Send makes one delivery attempt. It never returns a Go error: every
// failure is in the Result, for the delivery log.
func (s *Sender) Send(ctx context.Context, r Request) Result {
	sig, err := Sign(r.Secrets, r.ID, r.Time, r.Payload)
	if err != nil {
		return Result{Err: err}
	}
	if err := CheckURL(r.URL, s.o.Production); err != nil {
		return Result{Err: fmt.Errorf("%w: %s", ErrForbiddenAddress, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Payload))
	if err != nil {
		return Result{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.o.UserAgent)
	req.Header.Set("webhook-id", r.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(r.Time.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		out := Result{Latency: time.Since(start), Err: err}
		if errors.Is(err, ErrForbiddenAddress) {
			out.Err = ErrForbiddenAddress
		}
		return out
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, MaxResponse))
	out := Result{StatusCode: res.StatusCode, Latency: time.Since(start), Excerpt: excerpt(body)}
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		out.OK = true
	case res.StatusCode >= 300 && res.StatusCode < 400:
		out.Err = fmt.Errorf("redirect to %q not followed", res.Header.Get("Location"))
	default:
		out.Err = fmt.Errorf("status %d", res.StatusCode)
	}
	return out
}

// excerpt is the start of body as valid UTF-8.
func excerpt(body []byte) string {
	if len(body) > excerptSize {
		body = body[:excerptSize]
	}
	for len(body) > 0 && !utf8.Valid(body) {
		body = body[:len(body)-1]
	}
	return string(body)
}
