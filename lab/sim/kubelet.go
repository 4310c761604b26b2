package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// The kubelet stand-in: one small supervisor per host. It runs the static pods in the manifest
// directory (polled every 2 s, no busy loops), registers and heartbeats its Node, mirrors its pods
// into the API, and reports Ready only while a CNI config exists in /etc/cni/net.d.

const cniDir = "/etc/cni/net.d"

type kubelet struct {
	flags       map[string]string
	nodeName    string
	nodeIP      string
	manifestDir string
	healthz     string
	pods        map[string]*pod
	client      *kubeClient
	kickCh      chan struct{}
	mirrors     map[string]string    // mirror pod name -> last posted state
	dsStart     map[string]time.Time // when this node first ran each DaemonSet's pod
	registered  bool
	lastReady   bool
	lastAPI     time.Time
}

func (k *kubelet) kick() {
	select {
	case k.kickCh <- struct{}{}:
	default:
	}
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
	k := &kubelet{flags: flagMap(args), pods: map[string]*pod{}, kickCh: make(chan struct{}, 1), mirrors: map[string]string{}, dsStart: map[string]time.Time{}}
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
			// A node waiting for its network looks for the CNI DaemonSet more often than it
			// heartbeats, so Ready follows `kubectl apply` within seconds.
			if k.syncPods() || (k.client != nil && !k.cniReady() && time.Since(k.lastAPI) > 4*time.Second) {
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

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
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

func (k *kubelet) ensureClient() bool {
	if k.client != nil {
		return true
	}
	kc := firstNonEmpty(k.flags["kubeconfig"])
	if kc == "" {
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
		if err := k.tlsBootstrap(boot, kc); err != nil {
			log.Printf("TLS bootstrap: %v", err)
			return false
		}
	}
	c, err := loadKubeconfig(kc)
	if err != nil {
		log.Printf("kubeconfig: %v", err)
		return false
	}
	k.client = c
	return true
}

// tlsBootstrap is the kubelet's client-certificate bootstrap: a CSR sent with the bootstrap
// token, the signed certificate kept under /var/lib/kubelet/pki and a kubeconfig that uses it.
func (k *kubelet) tlsBootstrap(bootPath, kcPath string) error {
	bc, err := loadKubeconfig(bootPath)
	if err != nil {
		return err
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + k.nodeName, Organization: []string{"system:nodes"}}}, key)
	if err != nil {
		return err
	}
	csr := obj{"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
		"metadata": obj{"generateName": "csr-"},
		"spec": obj{"request": base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})),
			"signerName": "kubernetes.io/kube-apiserver-client-kubelet", "usages": []string{"digital signature", "client auth"}}}
	var out obj
	if err := bc.do("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", csr, &out); err != nil {
		return err
	}
	st, _ := out["status"].(map[string]any)
	certPEM, _ := base64.StdEncoding.DecodeString(str(st["certificate"]))
	if len(certPEM) == 0 {
		return fmt.Errorf("CSR %s was not signed", str(meta(out)["name"]))
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	pki := "/var/lib/kubelet/pki"
	_ = os.MkdirAll(pki, 0o755)
	name := "kubelet-client-" + time.Now().Format("2006-01-02-15-04-05") + ".pem"
	if err := os.WriteFile(filepath.Join(pki, name), append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...), 0o600); err != nil {
		return err
	}
	cur := filepath.Join(pki, "kubelet-client-current.pem")
	_ = os.Remove(cur)
	if err := os.Symlink(filepath.Join(pki, name), cur); err != nil {
		return err
	}
	kc := fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: %s
    client-key: %s
`, base64.StdEncoding.EncodeToString(bc.caData), bc.server, cur, cur)
	log.Printf("TLS bootstrap done: client certificate %s", name)
	return os.WriteFile(kcPath, []byte(kc), 0o600)
}

func (k *kubelet) cniReady() bool {
	m, _ := filepath.Glob(filepath.Join(cniDir, "*.conf*"))
	j, _ := filepath.Glob(filepath.Join(cniDir, "*.json"))
	return len(m)+len(j) > 0
}

func (k *kubelet) syncAPI() {
	k.lastAPI = time.Now()
	if !k.ensureClient() {
		return
	}
	if err := k.syncNode(); err != nil {
		log.Printf("node status: %v", err)
		return
	}
	k.syncDaemonSets()
	k.syncMirrors()
}

func (k *kubelet) nodeStatus() obj {
	now := time.Now().UTC().Format(time.RFC3339)
	ready := k.cniReady()
	readyCond := obj{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
		"lastHeartbeatTime": now, "lastTransitionTime": now}
	if !ready {
		readyCond = obj{"type": "Ready", "status": "False", "reason": "KubeletNotReady",
			"message":           "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
			"lastHeartbeatTime": now, "lastTransitionTime": now}
	}
	cond := func(t, reason, msg string) obj {
		return obj{"type": t, "status": "False", "reason": reason, "message": msg, "lastHeartbeatTime": now, "lastTransitionTime": now}
	}
	var uts syscall.Utsname
	_ = syscall.Uname(&uts)
	kernel := utsString(uts.Release[:])
	return obj{
		"conditions": []any{
			cond("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			readyCond,
		},
		"addresses":   []any{obj{"type": "InternalIP", "address": k.nodeIP}, obj{"type": "Hostname", "address": k.nodeName}},
		"capacity":    obj{"cpu": fmt.Sprint(runtime.NumCPU()), "memory": "2014360Ki", "pods": "110", "ephemeral-storage": "20470Mi"},
		"allocatable": obj{"cpu": fmt.Sprint(runtime.NumCPU()), "memory": "1911960Ki", "pods": "110", "ephemeral-storage": "18865Mi"},
		"nodeInfo": obj{"kubeletVersion": version, "kubeProxyVersion": version, "containerRuntimeVersion": "containerd://1.7.28",
			"osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": kernel, "operatingSystem": "linux", "architecture": runtime.GOARCH,
			"machineID": "", "systemUUID": "", "bootID": ""},
		"daemonEndpoints": obj{"kubeletEndpoint": obj{"Port": 10250}},
	}
}

func utsString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

func (k *kubelet) syncNode() error {
	st := k.nodeStatus()
	var cur obj
	err := k.client.do("GET", "/api/v1/nodes/"+k.nodeName, nil, &cur)
	if isNotFound(err) && k.registered {
		// like the real kubelet, it registers once; a Node deleted later stays deleted until the
		// kubelet restarts
		return fmt.Errorf("error getting node %q: nodes %q not found", k.nodeName, k.nodeName)
	}
	if isNotFound(err) {
		node := obj{"apiVersion": "v1", "kind": "Node",
			"metadata": obj{"name": k.nodeName, "labels": obj{"kubernetes.io/hostname": k.nodeName, "kubernetes.io/os": "linux",
				"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": runtime.GOARCH},
				"annotations": obj{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
			"spec": obj{}, "status": st}
		if err := k.client.do("POST", "/api/v1/nodes", node, nil); err != nil && !isConflict(err) {
			return err
		}
		log.Printf("registered node %s", k.nodeName)
		k.registered = true
		k.lastReady = k.cniReady()
		return nil
	}
	if err != nil {
		return err
	}
	k.registered = true
	// keep transition times of unchanged conditions, as the real kubelet does
	if old, ok := cur["status"].(map[string]any); ok {
		oc, _ := old["conditions"].([]any)
		for _, c := range st["conditions"].([]any) {
			cm := c.(obj)
			for _, o := range oc {
				om, _ := o.(map[string]any)
				if str(om["type"]) == str(cm["type"]) && str(om["status"]) == str(cm["status"]) {
					cm["lastTransitionTime"] = om["lastTransitionTime"]
				}
			}
		}
	}
	cur["status"] = st
	if ready := k.cniReady(); ready != k.lastReady {
		log.Printf("node %s Ready=%v", k.nodeName, ready)
		k.lastReady = ready
	}
	return k.client.do("PUT", "/api/v1/nodes/"+k.nodeName+"/status", cur, nil)
}

func (k *kubelet) mirrorPod(name, ns string, labels, annotations, spec any, running bool, restarts int, started time.Time, owner obj) obj {
	phase, ready := "Running", "True"
	state := obj{"running": obj{"startedAt": started.UTC().Format(time.RFC3339)}}
	if !running {
		phase, ready = "Running", "False"
		state = obj{"waiting": obj{"reason": "CrashLoopBackOff"}}
	}
	sp, _ := spec.(map[string]any)
	if sp == nil {
		sp = obj{}
	}
	sp["nodeName"] = k.nodeName
	cname := "main"
	if cs, _ := sp["containers"].([]any); len(cs) > 0 {
		if cm, ok := cs[0].(map[string]any); ok {
			cname = str(cm["name"])
		}
	}
	m := obj{"name": name, "namespace": ns, "labels": labels, "annotations": annotations}
	if owner != nil {
		m["ownerReferences"] = []any{owner}
	}
	return obj{"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": sp,
		"status": obj{"phase": phase, "hostIP": k.nodeIP, "podIP": k.nodeIP, "startTime": started.UTC().Format(time.RFC3339),
			"conditions":        []any{obj{"type": "Ready", "status": ready}},
			"containerStatuses": []any{obj{"name": cname, "ready": ready == "True", "restartCount": restarts, "state": state}}}}
}

// syncMirrors keeps one mirror pod per static pod in the API (kubeadm finds the etcd members of a
// stacked cluster through their annotations), writing only what changed.
func (k *kubelet) syncMirrors() {
	want := map[string]obj{}
	for _, p := range k.pods {
		m := meta(p.manifest)
		ann, _ := m["annotations"].(map[string]any)
		a := obj{}
		for kk, v := range ann {
			a[kk] = v
		}
		a["kubernetes.io/config.source"] = "file"
		a["kubernetes.io/config.hash"] = p.hash
		a["kubernetes.io/config.mirror"] = p.hash
		spec, _ := p.manifest["spec"].(map[string]any)
		want[p.namespace+"/"+p.name+"-"+k.nodeName] = k.mirrorPod(p.name+"-"+k.nodeName, p.namespace, m["labels"], a, deepCopy(spec), p.isRunning(), p.restarts, p.startedAt,
			obj{"apiVersion": "v1", "kind": "Node", "name": k.nodeName, "controller": true})
	}
	k.syncOwnedPods(want, "mirror")
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		o := obj{}
		for k, x := range t {
			o[k] = deepCopy(x)
		}
		return o
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

func (k *kubelet) syncOwnedPods(want map[string]obj, tag string) {
	prefix := tag + ":"
	for key, p := range want {
		st, _ := p["status"].(map[string]any)
		cs := fmt.Sprint(st["containerStatuses"], meta(p)["annotations"])
		if k.mirrors[prefix+key] == cs {
			continue
		}
		ns, name, _ := strings.Cut(key, "/")
		path := "/api/v1/namespaces/" + ns + "/pods"
		err := k.client.do("PUT", path+"/"+name, p, nil)
		if isNotFound(err) {
			err = k.client.do("POST", path, p, nil)
		}
		if err != nil {
			log.Printf("pod %s: %v", key, err)
			continue
		}
		k.mirrors[prefix+key] = cs
	}
	for key := range k.mirrors {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		pk := strings.TrimPrefix(key, prefix)
		if _, ok := want[pk]; ok {
			continue
		}
		ns, name, _ := strings.Cut(pk, "/")
		if err := k.client.do("DELETE", "/api/v1/namespaces/"+ns+"/pods/"+name, nil, nil); err == nil || isNotFound(err) {
			delete(k.mirrors, key)
		}
	}
}

// syncDaemonSets runs (records) one pod per DaemonSet on this node; a flannel DaemonSet also
// installs its CNI config, which is what turns the node Ready.
func (k *kubelet) syncDaemonSets() {
	var list struct {
		Items []obj `json:"items"`
	}
	if err := k.client.do("GET", "/apis/apps/v1/daemonsets", nil, &list); err != nil {
		return
	}
	want := map[string]obj{}
	sort.Slice(list.Items, func(i, j int) bool { return str(meta(list.Items[i])["name"]) < str(meta(list.Items[j])["name"]) })
	for _, ds := range list.Items {
		m := meta(ds)
		name, ns := str(m["name"]), str(m["namespace"])
		spec, _ := ds["spec"].(map[string]any)
		tmpl, _ := spec["template"].(map[string]any)
		tspec, _ := tmpl["spec"].(map[string]any)
		tmeta, _ := tmpl["metadata"].(map[string]any)
		podName := name + "-" + contentHash([]byte(k.nodeName + name))[:5]
		started, ok := k.dsStart[ns+"/"+podName]
		if !ok {
			started = time.Now()
			k.dsStart[ns+"/"+podName] = started
		}
		// a stable start time keeps an unchanged pod from being rewritten at every sync
		want[ns+"/"+podName] = k.mirrorPod(podName, ns, tmeta["labels"], obj{}, deepCopy(tspec), true, 0, started,
			obj{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name, "uid": m["uid"], "controller": true})
		if strings.Contains(name, "flannel") && !k.cniReady() {
			k.installFlannelCNI(ns)
		}
	}
	k.syncOwnedPods(want, "ds")
}

func (k *kubelet) installFlannelCNI(ns string) {
	conf := `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`
	var cm obj
	if err := k.client.do("GET", "/api/v1/namespaces/"+ns+"/configmaps/kube-flannel-cfg", nil, &cm); err == nil {
		if d, ok := cm["data"].(map[string]any); ok && str(d["cni-conf.json"]) != "" {
			conf = str(d["cni-conf.json"])
		}
	}
	_ = os.MkdirAll(cniDir, 0o755)
	if err := os.WriteFile(filepath.Join(cniDir, "10-flannel.conflist"), []byte(conf), 0o644); err != nil {
		log.Printf("CNI config: %v", err)
		return
	}
	log.Printf("flannel: wrote %s/10-flannel.conflist", cniDir)
}
