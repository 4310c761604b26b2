package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Probes of a static pod's container, checked as the kubelet checks them: the startup probe
// first (liveness and readiness wait for it), then liveness (failureThreshold misses in a row
// and the process is killed, to be restarted with back-off) and readiness (the mirror pod's Ready).

type probeSpec struct {
	name                               string
	initialDelay, period, timeout      time.Duration
	failureThreshold, successThreshold int
	scheme, host, path, port, execCmd  string
	httpGet, tcp                       bool
	execArgv                           []string
}

func seconds(v any, def int) time.Duration {
	switch n := v.(type) {
	case int:
		return time.Duration(n) * time.Second
	case float64:
		return time.Duration(n) * time.Second
	}
	return time.Duration(def) * time.Second
}

func intOr(v any, def int) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return def
}

// portOf resolves a probe's port: a number, or the name of a container port.
func portOf(v any, c obj) string {
	if s, ok := v.(string); ok {
		if ps, ok := c["ports"].([]any); ok {
			for _, p := range ps {
				pm, _ := p.(map[string]any)
				if str(pm["name"]) == s {
					return fmt.Sprint(pm["containerPort"])
				}
			}
		}
		return s
	}
	return fmt.Sprint(v)
}

func parseProbe(name string, c obj, v any) *probeSpec {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	p := &probeSpec{name: name, initialDelay: seconds(m["initialDelaySeconds"], 0), period: seconds(m["periodSeconds"], 10),
		timeout: seconds(m["timeoutSeconds"], 1), failureThreshold: intOr(m["failureThreshold"], 3), successThreshold: intOr(m["successThreshold"], 1)}
	switch {
	case m["httpGet"] != nil:
		h, _ := m["httpGet"].(map[string]any)
		p.httpGet, p.scheme, p.host, p.path, p.port = true, strings.ToLower(firstNonEmpty(str(h["scheme"]), "HTTP")), str(h["host"]), firstNonEmpty(str(h["path"]), "/"), portOf(h["port"], c)
	case m["tcpSocket"] != nil:
		t, _ := m["tcpSocket"].(map[string]any)
		p.tcp, p.host, p.port = true, str(t["host"]), portOf(t["port"], c)
	case m["exec"] != nil:
		e, _ := m["exec"].(map[string]any)
		p.execArgv = strList(e["command"])
		if len(p.execArgv) == 0 {
			return nil
		}
	default:
		return nil
	}
	return p
}

// check runs the probe once. Host-network pods probe the node's address when no host is given.
func (p *probeSpec) check(nodeIP string, mounts map[string]string) error {
	host := firstNonEmpty(p.host, nodeIP)
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	switch {
	case p.httpGet:
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(ctx, "GET", p.scheme+"://"+net.JoinHostPort(host, p.port)+p.path, nil)
		req.Header.Set("User-Agent", "kube-probe/1.34")
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return nil
	case p.tcp:
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, p.port))
		if err == nil {
			c.Close()
		}
		return err
	}
	argv := make([]string, len(p.execArgv))
	for i, a := range p.execArgv {
		argv[i] = mapPath(a, mounts)
	}
	cmd := exec.CommandContext(ctx, lookPathIn(argv[0]), argv[1:]...)
	cmd.Env = []string{"PATH=" + sbinPath}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// etcdProbePaths: the Debian etcd 3.4 that runs here serves neither /livez nor /readyz (etcd
// 3.5.13+); /metrics answers while the process serves (what /livez means) and /health needs a
// leader (what /readyz means).
var etcdProbePaths = map[string]string{"/livez": "/metrics", "/readyz": "/health"}

func (k *kubelet) runProbes(p *pod, comp string, stop <-chan struct{}) {
	c := firstContainer(p.manifest)
	startup := parseProbe("Startup", c, c["startupProbe"])
	live := parseProbe("Liveness", c, c["livenessProbe"])
	ready := parseProbe("Readiness", c, c["readinessProbe"])
	if comp == "etcd" {
		for _, pr := range []*probeSpec{startup, live, ready} {
			if pr != nil && pr.httpGet && etcdProbePaths[pr.path] != "" {
				pr.path = etcdProbePaths[pr.path]
			}
		}
	}
	mounts := hostPaths(p.manifest)
	sleep := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	setReady := func(v bool) {
		p.mu.Lock()
		changed := p.ready != v
		p.ready = v
		p.mu.Unlock()
		if changed {
			k.kick()
		}
	}
	if startup != nil {
		if !sleep(startup.initialDelay) {
			return
		}
		for fails := 0; ; {
			err := startup.check(k.nodeIP, mounts)
			if err == nil {
				break
			}
			if fails++; fails >= startup.failureThreshold {
				k.probeKill(p, startup, err)
				return
			}
			if !sleep(startup.period) {
				return
			}
		}
	}
	if ready == nil {
		setReady(true)
	} else {
		go func() {
			if !sleep(ready.initialDelay) {
				return
			}
			fails, oks := 0, 0
			for {
				if err := ready.check(k.nodeIP, mounts); err != nil {
					oks = 0
					if fails++; fails >= ready.failureThreshold {
						setReady(false)
					}
				} else {
					fails = 0
					if oks++; oks >= ready.successThreshold {
						setReady(true)
					}
				}
				if !sleep(ready.period) {
					return
				}
			}
		}()
	}
	if live == nil {
		return
	}
	if !sleep(live.initialDelay) {
		return
	}
	for fails := 0; ; {
		if err := live.check(k.nodeIP, mounts); err != nil {
			if fails++; fails >= live.failureThreshold {
				k.probeKill(p, live, err)
				return
			}
		} else {
			fails = 0
		}
		if !sleep(live.period) {
			return
		}
	}
}

// probeKill ends a container whose startup or liveness probe failed; it restarts with back-off.
func (k *kubelet) probeKill(p *pod, pr *probeSpec, err error) {
	log.Printf("pod %s/%s: %s probe failed %d times (%v): killing the container, it will be restarted", p.namespace, p.name, pr.name, pr.failureThreshold, err)
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
