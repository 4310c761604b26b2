package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
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

// A static pod runs as a host process: the real binary of its container (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, haproxy, keepalived, nginx) with the container's
// command and arguments, each container path of a hostPath mount mapped to its host path. Its
// probes are checked as the kubelet checks them. A pod whose image has no binary here is
// recorded as running.

type pod struct {
	file, name, namespace, hash string
	manifest                    obj
	kind                        string // "process", "record"
	mu                          sync.Mutex
	cmd                         *exec.Cmd
	exited                      chan struct{}
	stopProbes                  chan struct{}
	stopping                    bool
	restarts                    int
	nextStart                   time.Time
	startedAt                   time.Time
	running                     bool
	ready                       bool
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

// realComponents are the images whose binary runs here, by the name argv[0] has in the container.
var realComponents = map[string]bool{
	"etcd": true, "kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true,
	"haproxy": true, "keepalived": true, "nginx": true,
}

// ensureHostPaths creates hostPath volumes of type DirectoryOrCreate/FileOrCreate, as the
// kubelet does before it starts a pod.
func ensureHostPaths(o obj) {
	spec, _ := o["spec"].(map[string]any)
	vl, _ := spec["volumes"].([]any)
	for _, v := range vl {
		vm, _ := v.(map[string]any)
		hp, ok := vm["hostPath"].(map[string]any)
		if !ok {
			continue
		}
		path := str(hp["path"])
		switch str(hp["type"]) {
		case "DirectoryOrCreate":
			_ = os.MkdirAll(path, 0o755)
		case "FileOrCreate":
			if _, err := os.Stat(path); err != nil {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
					f.Close()
				}
			}
		}
	}
}

func (k *kubelet) startPod(p *pod) {
	argv := podCommand(p.manifest)
	comp := p.component()
	mounts := hostPaths(p.manifest)
	p.startedAt = time.Now()
	p.ready = false
	if !realComponents[comp] {
		p.kind = "record"
		p.running = true
		p.ready = true
		log.Printf("pod %s/%s: %q has no binary here, recorded as running", p.namespace, p.name, comp)
		return
	}
	ensureHostPaths(p.manifest)
	// looked up on PATH, so a lab command fault on a daemon (a shim in /usr/local/sbin) acts like
	// a container that cannot start
	exe := lookPathIn(comp)
	var args []string
	for _, a := range argv[1:] {
		args = append(args, mapPath(a, mounts))
	}
	if comp == "etcd" {
		args = translateEtcdFlags(args)
	}
	p.kind = "process"
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = comp
	cmd.Env = append(containerEnv(p.manifest), "PATH="+sbinPath)
	_ = os.MkdirAll("/var/log/pods", 0o755)
	lf, err := os.OpenFile(filepath.Join("/var/log/pods", p.namespace+"_"+p.name+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		cmd.Stdout, cmd.Stderr = lf, lf
	}
	cmd.Dir = "/"
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
	p.stopProbes = make(chan struct{})
	go k.runProbes(p, comp, p.stopProbes)
	go func(ch chan struct{}, stopProbes chan struct{}) {
		err := cmd.Wait()
		close(stopProbes)
		if lf != nil {
			lf.Close()
		}
		p.mu.Lock()
		p.running = false
		p.ready = false
		stopping := p.stopping
		if !stopping {
			p.restarts++
			back := time.Duration(5<<min(p.restarts-1, 4)) * time.Second
			p.nextStart = time.Now().Add(back)
			log.Printf("pod %s/%s: %s exited (%v), restart %d in %s", p.namespace, p.name, comp, err, p.restarts, back)
		}
		p.mu.Unlock()
		if !stopping {
			k.kick()
		}
		close(ch)
	}(p.exited, p.stopProbes)
}

// containerEnv is the container's literal env entries (values from fields or secrets are not
// supported by static pods anyway).
func containerEnv(o obj) []string {
	var env []string
	if l, ok := firstContainer(o)["env"].([]any); ok {
		for _, e := range l {
			em, _ := e.(map[string]any)
			if n := str(em["name"]); n != "" {
				env = append(env, n+"="+str(em["value"]))
			}
		}
	}
	return env
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
	p.mu.Lock()
	p.running = false
	p.ready = false
	p.mu.Unlock()
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

func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
