package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// The kubelet stand-in: one small supervisor per host, speaking the kubelet's protocol to the
// real kube-apiserver. It runs the static pods in the manifest directory as host processes
// (polled every 2 s), does the TLS bootstrap, registers and heartbeats its Node and Lease,
// reports mirror pods, and runs the pods the scheduler binds to it virtually (virtual.go).

type kubelet struct {
	flags         map[string]string
	nodeName      string
	nodeIP        string
	manifestDir   string
	healthz       string
	pods          map[string]*pod // static pods by manifest path
	kickCh        chan struct{}
	mirrorPosted  map[string]string // mirror pod -> the state last posted
	nodeUID       string
	registered    bool
	lastReady     bool
	lastStatus    time.Time
	bootstrapping bool
	watching      bool

	mu      sync.Mutex // guards what the pod watcher shares: client, cache, podCIDR, ips
	client  *kubeClient
	cache   map[string]obj // pods bound to this node, by namespace/name (nil until listed)
	podCIDR string
	ips     map[string]string // pod IP -> pod UID
}

func (k *kubelet) kick() {
	select {
	case k.kickCh <- struct{}{}:
	default:
	}
}

func (k *kubelet) apiClient() *kubeClient {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.client
}

func kubeletMain(args []string) int {
	for _, a := range args {
		if a == "--version" || a == "version" {
			fmt.Println("Kubernetes " + version)
			return 0
		}
	}
	_ = os.MkdirAll("/var/log/labkube", 0o755)
	if lf, err := os.OpenFile("/var/log/labkube/kubelet.log", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		log.SetOutput(lf)
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	k := &kubelet{flags: flagMap(args), pods: map[string]*pod{}, kickCh: make(chan struct{}, 1), mirrorPosted: map[string]string{}, ips: map[string]string{}}
	log.Printf("kubelet stand-in %s starting: %s", version, strings.Join(args, " "))
	if !k.loadConfig() {
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
		for {
			if err := http.ListenAndServe(k.healthz, mux); err != nil {
				log.Printf("healthz %s: %v", k.healthz, err)
			}
			time.Sleep(5 * time.Second)
		}
	}()
	podTick := time.NewTicker(2 * time.Second)
	statusTick := time.NewTicker(10 * time.Second)
	k.syncPods()
	k.syncAPI()
	for {
		select {
		case <-sigs:
			log.Printf("kubelet stopping: stopping %d pods", len(k.pods))
			for _, p := range k.pods {
				k.stopPod(p)
			}
			return 0
		case <-podTick.C:
			if k.syncPods() {
				k.syncAPI()
			}
		case <-k.kickCh:
			k.syncPods()
			k.syncAPI()
		case <-statusTick.C:
			k.syncAPI()
		}
	}
}

// loadConfig waits for --config like a crash-looping kubelet under systemd would, then reads the
// few settings the stand-in needs.
func (k *kubelet) loadConfig() bool {
	cfgPath := k.flags["config"]
	var cfg struct {
		StaticPodPath      string `yaml:"staticPodPath"`
		FailSwapOn         *bool  `yaml:"failSwapOn"`
		HealthzBindAddress string `yaml:"healthzBindAddress"`
		HealthzPort        int    `yaml:"healthzPort"`
	}
	for i := 0; cfgPath != ""; i++ {
		b, err := os.ReadFile(cfgPath)
		if err == nil {
			if err := yaml.Unmarshal(b, &cfg); err != nil {
				log.Printf("failed to load kubelet config file, path: %s, error: %v", cfgPath, err)
				return false
			}
			break
		}
		if i%5 == 0 {
			log.Printf("failed to load kubelet config file, path: %s, error: %v (waiting for it)", cfgPath, err)
		}
		time.Sleep(2 * time.Second)
	}
	// Like the real kubelet, refuse to run with swap on unless failSwapOn is false; systemd would
	// restart it every 10 s, so wait and re-check instead.
	for i := 0; swapOn() && (cfg.FailSwapOn == nil || *cfg.FailSwapOn) && k.flags["fail-swap-on"] != "false"; i++ {
		if i%5 == 0 {
			log.Printf("failed to run Kubelet: running with swap on is not supported, please disable swap or set --fail-swap-on flag to false")
		}
		time.Sleep(2 * time.Second)
	}
	k.manifestDir = firstNonEmpty(k.flags["pod-manifest-path"], cfg.StaticPodPath, "/etc/kubernetes/manifests")
	port := cfg.HealthzPort
	if port == 0 {
		port = 10248
	}
	k.healthz = net.JoinHostPort(firstNonEmpty(cfg.HealthzBindAddress, "127.0.0.1"), fmt.Sprint(port))
	host, _ := os.Hostname()
	k.nodeName = strings.ToLower(firstNonEmpty(k.flags["hostname-override"], host))
	k.nodeIP = firstNonEmpty(k.flags["node-ip"], hostIPv4())
	log.Printf("node %s (%s), static pods from %s, healthz on %s", k.nodeName, k.nodeIP, k.manifestDir, k.healthz)
	return true
}

func hostIPv4() string {
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || i.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

// syncPods reconciles running pods with the manifest directory; true when something changed.
func (k *kubelet) syncPods() bool {
	changed := false
	seen := map[string]bool{}
	entries, _ := os.ReadDir(k.manifestDir)
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".json")) {
			continue
		}
		path := filepath.Join(k.manifestDir, n)
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		h := contentHash(b)
		seen[path] = true
		if p, ok := k.pods[path]; ok && p.hash == h {
			continue
		}
		if p, ok := k.pods[path]; ok {
			log.Printf("manifest %s changed: restarting pod %s", path, p.name)
			k.stopPod(p)
			delete(k.pods, path)
		}
		o, err := parseManifest(b)
		if err != nil {
			log.Printf("manifest %s: %v", path, err)
			continue
		}
		ns := firstNonEmpty(str(meta(o)["namespace"]), "default")
		p := &pod{file: path, name: str(meta(o)["name"]), namespace: ns, hash: h, manifest: o}
		k.pods[path] = p
		k.startPod(p)
		changed = true
	}
	for path, p := range k.pods {
		if !seen[path] {
			log.Printf("manifest %s removed: stopping pod %s", path, p.name)
			k.stopPod(p)
			delete(k.pods, path)
			changed = true
			continue
		}
		if !p.isRunning() && p.kind != "record" && time.Now().After(p.nextStart) && !p.nextStart.IsZero() {
			p.stopping = false
			k.startPod(p)
			changed = true
		}
	}
	return changed
}

// ensureClient loads kubelet.conf, or starts the TLS bootstrap in the background when only
// bootstrap-kubelet.conf exists (static pods keep being supervised meanwhile).
func (k *kubelet) ensureClient() bool {
	if k.apiClient() != nil {
		return true
	}
	kc := k.flags["kubeconfig"]
	k.mu.Lock()
	busy := k.bootstrapping
	k.mu.Unlock()
	if kc == "" || busy {
		return false
	}
	if _, err := os.Stat(kc); err != nil {
		boot := k.flags["bootstrap-kubeconfig"]
		if boot == "" {
			return false
		}
		if _, err := os.Stat(boot); err != nil {
			return false
		}
		k.mu.Lock()
		k.bootstrapping = true
		k.mu.Unlock()
		go func() {
			if err := k.tlsBootstrap(boot, kc); err != nil {
				log.Printf("TLS bootstrap: %v", err)
				time.Sleep(5 * time.Second)
			}
			k.mu.Lock()
			k.bootstrapping = false
			k.mu.Unlock()
			k.kick()
		}()
		return false
	}
	c, err := loadKubeconfig(kc)
	if err != nil {
		log.Printf("kubeconfig: %v", err)
		return false
	}
	k.mu.Lock()
	k.client = c
	k.mu.Unlock()
	return true
}

func (k *kubelet) syncAPI() {
	if !k.ensureClient() {
		return
	}
	if !k.registered || k.nodeUID == "" {
		if err := k.registerNode(); err != nil {
			log.Printf("node registration: %v", err)
			return
		}
	}
	if err := k.syncNodeStatus(); err != nil {
		log.Printf("node status: %v", err)
		return
	}
	if !k.watching {
		k.watching = true
		go k.watchPods()
		go k.resyncVirtual()
	}
	k.syncMirrors()
}
