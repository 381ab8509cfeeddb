package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// replica is one app process on a fixed loopback port; it can be killed,
// stopped and started again on the same port.
type replica struct {
	name string // HAProxy's server name: app1, app2, app3
	port int
	bin  string
	env  []string
	log  *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan error
}

func (r *replica) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs the process and waits until its /readyz answers 200.
func (r *replica) start(ctx context.Context) error {
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = append(append([]string{}, r.env...), "PORT="+strconv.Itoa(r.port),
		"METRICS_ADDR=127.0.0.1:0", "DATA_DIR="+filepath.Join(filepath.Dir(r.log.Name()), r.name))
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	return waitReady(ctx, "http://"+r.addr()+"/readyz", done)
}

// signal sends sig and, unless it is SIGKILL's "don't wait", waits for the
// process to end.
func (r *replica) signal(sig syscall.Signal, timeout time.Duration) error {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within %s after %s", r.name, timeout, sig)
	}
}

// waitReady polls url until it answers 200; it gives up when exited
// reports the process's end or after 60 s.
func waitReady(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("%s: the process ended: %v", url, err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if res, err := c.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within 60s", url)
}

// freePorts returns n distinct free loopback ports below the ephemeral
// range (32768 and up on Linux): a replica's port must stay free while it
// is down, and the run's own connections take ephemeral ports by the
// thousand.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n && tries < 1000; tries++ {
		port := 20000 + rand.IntN(10000)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		ports = append(ports, port)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("no %d free ports between 20000 and 30000", n)
	}
	return ports, nil
}

// startHAProxy runs HAProxy in the foreground with deploy/haproxy.cfg,
// the replicas' addresses in its environment, and X-Served-By on every
// response (EXPOSE_SERVER_NAME) so the run can tell which replica answered.
func startHAProxy(cfgFile, listen string, replicas []*replica, log *os.File) (*exec.Cmd, error) {
	cmd := exec.Command("haproxy", "-db", "-f", cfgFile)
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+listen, "EXPOSE_SERVER_NAME=1")
	for i, r := range replicas {
		cmd.Env = append(cmd.Env, fmt.Sprintf("APP%d_ADDR=%s", i+1, r.addr()))
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}
