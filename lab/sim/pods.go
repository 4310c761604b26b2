package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// A static pod here is either a real daemon (etcd, haproxy, keepalived, nginx), this binary as the
// kube-apiserver, an in-process health listener (controller-manager, scheduler), or just recorded
// as running. No process per pod beyond the real daemons.

type pod struct {
	file, name, namespace, hash string
	manifest                    obj
	kind                        string // "process", "listener", "record"
	mu                          sync.Mutex
	cmd                         *exec.Cmd
	exited                      chan struct{}
	stopping                    bool
	restarts                    int
	nextStart                   time.Time
	startedAt                   time.Time
	running                     bool
	listener                    net.Listener
}

func parseManifest(b []byte) (obj, error) {
	var o obj
	if err := yaml.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	if str(o["kind"]) != "Pod" {
		return nil, fmt.Errorf("not a Pod")
	}
	return o, nil
}

func firstContainer(o obj) obj {
	spec, _ := o["spec"].(map[string]any)
	cs, _ := spec["containers"].([]any)
	if len(cs) == 0 {
		return obj{}
	}
	c, _ := cs[0].(map[string]any)
	return c
}

func strList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// hostPaths maps each container mount path to the host path of its hostPath volume.
func hostPaths(o obj) map[string]string {
	spec, _ := o["spec"].(map[string]any)
	vols := map[string]string{}
	vl, _ := spec["volumes"].([]any)
	for _, v := range vl {
		vm, _ := v.(map[string]any)
		if hp, ok := vm["hostPath"].(map[string]any); ok {
			vols[str(vm["name"])] = str(hp["path"])
		}
	}
	out := map[string]string{}
	c := firstContainer(o)
	if vms, ok := c["volumeMounts"].([]any); ok {
		for _, m := range vms {
			mm, _ := m.(map[string]any)
			if hp, ok := vols[str(mm["name"])]; ok {
				out[str(mm["mountPath"])] = hp
			}
		}
	}
	return out
}

func mapPath(arg string, mounts map[string]string) string {
	best := ""
	for mp := range mounts {
		if (arg == mp || strings.HasPrefix(arg, mp+"/") || strings.Contains(arg, "="+mp)) && len(mp) > len(best) {
			best = mp
		}
	}
	if best == "" {
		return arg
	}
	return strings.Replace(arg, best, mounts[best], 1)
}

// imageDefaults are the entrypoints of the images the runbooks use for their static pods.
func imageDefaults(image string) []string {
	switch {
	case strings.Contains(image, "haproxy"):
		return []string{"haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"}
	case strings.Contains(image, "keepalived"):
		return []string{"keepalived", "--dont-fork", "--log-console", "--log-detail", "--use-file", "/usr/local/etc/keepalived/keepalived.conf"}
	case strings.Contains(image, "nginx"):
		return []string{"nginx", "-g", "daemon off;"}
	}
	return nil
}

func podCommand(o obj) []string {
	c := firstContainer(o)
	argv := append(strList(c["command"]), strList(c["args"])...)
	if len(strList(c["command"])) == 0 {
		if d := imageDefaults(str(c["image"])); d != nil {
			argv = d
			if a := strList(c["args"]); len(a) > 0 {
				argv = append([]string{d[0]}, a...)
			}
		}
	}
	return argv
}

func (p *pod) component() string {
	argv := podCommand(p.manifest)
	if len(argv) == 0 {
		return ""
	}
	return filepath.Base(argv[0])
}

var sbinPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (k *kubelet) startPod(p *pod) {
	argv := podCommand(p.manifest)
	comp := p.component()
	mounts := hostPaths(p.manifest)
	p.startedAt = time.Now()
	switch comp {
	case "kube-controller-manager", "kube-scheduler":
		p.kind = "listener"
		f := flagMap(argv[1:])
		port := f["secure-port"]
		if port == "" {
			port = map[string]string{"kube-controller-manager": "10257", "kube-scheduler": "10259"}[comp]
		}
		addr := f["bind-address"]
		if addr == "" {
			addr = "127.0.0.1"
		}
		ln, err := healthListener(net.JoinHostPort(addr, port))
		if err != nil {
			log.Printf("pod %s: %v", p.name, err)
			p.nextStart = time.Now().Add(10 * time.Second)
			return
		}
		p.listener = ln
		p.running = true
		log.Printf("pod %s/%s: %s recorded as running, health on %s", p.namespace, p.name, comp, ln.Addr())
		return
	case "":
		p.kind = "record"
		p.running = true
		log.Printf("pod %s/%s: no command to run here, recorded as running", p.namespace, p.name)
		return
	}
	var exe string
	var args []string
	switch comp {
	case "etcd":
		// looked up on PATH like the other daemons, so a lab command fault on etcd (a shim in
		// /usr/local/sbin) acts like a container that cannot start
		exe, args = lookPathIn("etcd"), translateEtcdFlags(argv[1:])
	case "kube-apiserver":
		// by its installed name, so the process is called kube-apiserver (ps, faults)
		exe = lookPathIn("kube-apiserver")
		args = argv[1:]
	case "haproxy", "keepalived", "nginx":
		exe = lookPathIn(comp)
		for _, a := range argv[1:] {
			args = append(args, mapPath(a, mounts))
		}
	default:
		p.kind = "record"
		p.running = true
		log.Printf("pod %s/%s: %s has no stand-in, recorded as running", p.namespace, p.name, comp)
		return
	}
	p.kind = "process"
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = comp
	cmd.Env = append(os.Environ(), "PATH="+sbinPath)
	_ = os.MkdirAll("/var/log/pods", 0o755)
	lf, err := os.OpenFile(filepath.Join("/var/log/pods", p.namespace+"_"+p.name+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		cmd.Stdout, cmd.Stderr = lf, lf
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Printf("pod %s/%s: start %s: %v", p.namespace, p.name, exe, err)
		p.nextStart = time.Now().Add(10 * time.Second)
		if lf != nil {
			lf.Close()
		}
		return
	}
	log.Printf("pod %s/%s: started %s (pid %d): %s", p.namespace, p.name, comp, cmd.Process.Pid, maskSecrets(strings.Join(args, " ")))
	p.cmd = cmd
	p.running = true
	p.exited = make(chan struct{})
	go func(ch chan struct{}) {
		err := cmd.Wait()
		if lf != nil {
			lf.Close()
		}
		p.mu.Lock()
		p.running = false
		stopping := p.stopping
		p.mu.Unlock()
		if !stopping {
			p.restarts++
			back := time.Duration(5<<min(p.restarts-1, 4)) * time.Second
			p.nextStart = time.Now().Add(back)
			log.Printf("pod %s/%s: %s exited (%v), restart %d in %s", p.namespace, p.name, comp, err, p.restarts, back)
			k.kick()
		}
		close(ch)
	}(p.exited)
}

func (p *pod) isRunning() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

func (k *kubelet) stopPod(p *pod) {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	if p.cmd != nil && p.exited != nil {
		pid := p.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(8 * time.Second):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-p.exited
		}
	}
	p.running = false
	log.Printf("pod %s/%s: stopped", p.namespace, p.name)
}

func lookPathIn(name string) string {
	for _, d := range strings.Split(sbinPath, ":") {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return name
}

var (
	etcdFlagsOnce sync.Once
	etcdFlags     map[string]bool
	flagNameRe    = regexp.MustCompile(`--([a-z0-9][a-z0-9-]*)`)
)

// translateEtcdFlags adapts the flags kubeadm writes for etcd 3.6 to the Debian etcd 3.4 that
// runs here: renamed ones are translated, ones 3.4 lacks are dropped, each named in the log.
func translateEtcdFlags(args []string) []string {
	etcdFlagsOnce.Do(func() {
		etcdFlags = map[string]bool{}
		out, _ := exec.Command("/usr/bin/etcd", "--help").CombinedOutput()
		for _, m := range flagNameRe.FindAllStringSubmatch(string(out), -1) {
			etcdFlags[m[1]] = true
		}
	})
	renames := map[string]string{
		"watch-progress-notify-interval": "experimental-watch-progress-notify-interval",
		"initial-corrupt-check":          "experimental-initial-corrupt-check",
		"compact-hash-check-enabled":     "experimental-compact-hash-check-enabled",
		"compact-hash-check-time":        "experimental-compact-hash-check-time",
	}
	var out []string
	for _, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "feature-gates" && strings.Contains(val, "InitialCorruptCheck=true") && etcdFlags["experimental-initial-corrupt-check"] {
			out = append(out, "--experimental-initial-corrupt-check=true")
			log.Printf("etcd: translated %s to --experimental-initial-corrupt-check=true (etcd 3.4)", a)
			continue
		}
		if r, ok := renames[name]; ok && !etcdFlags[name] && etcdFlags[r] {
			log.Printf("etcd: translated --%s to --%s (etcd 3.4)", name, r)
			name = r
		}
		if len(etcdFlags) > 0 && !etcdFlags[name] {
			log.Printf("etcd: dropped %s (not known to etcd 3.4)", a)
			continue
		}
		if hasVal {
			out = append(out, "--"+name+"="+val)
		} else {
			out = append(out, "--"+name)
		}
	}
	return out
}

var (
	selfCertOnce sync.Once
	selfCert     tls.Certificate
)

// healthListener serves /healthz, /livez and /readyz over TLS with a self-signed certificate, as
// kube-controller-manager and kube-scheduler do on their secure ports.
func healthListener(addr string) (net.Listener, error) {
	selfCertOnce.Do(func() {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost@labkube"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		selfCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfCert}})
	go func() {
		_ = http.Serve(tl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	}()
	return tl, nil
}

func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
