package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
)

// kubeadm runs the REAL kubeadm for everything, except that `init` and `join` get their
// preflight phase from here: the real one needs a CRI runtime to talk to and images to pull.
// Every later phase, including the online ones, is the real kubeadm against the kubelet and
// kube-apiserver stand-ins, so stdout, stderr, files and exit codes are the real ones.

func realKubeadm() string {
	if p := os.Getenv("LABKUBE_REAL_KUBEADM"); p != "" {
		return p
	}
	return realBinary("kubeadm")
}

// realBinary finds NAME.real next to this binary: the real tool a logged entry point hands over to.
func realBinary(name string) string {
	self, _ := os.Executable()
	for _, p := range []string{filepath.Join(filepath.Dir(self), name+".real"), filepath.Join(filepath.Dir(os.Args[0]), name+".real"), "/usr/local/bin/" + name + ".real"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return name + ".real"
}

func execReal(args []string) int { return execBinary("kubeadm", realKubeadm(), args) }

func execBinary(name, bin string, args []string) int {
	if err := syscall.Exec(bin, append([]string{name}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "labkube: cannot run the real %s (%s): %v\n", name, bin, err)
	}
	return 1
}

func kubeadmMain(args []string) int {
	sub := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			sub = a
			break
		}
	}
	isPhase := false
	for _, a := range args {
		if a == "phase" {
			isPhase = true
		}
	}
	if isPhase || hasFlag(args, "help") || hasFlag(args, "h") || hasFlag(args, "dry-run") {
		return execReal(args)
	}
	if isImagesPull(args) {
		return imagesPull(args)
	}
	switch sub {
	case "init":
		return kubeadmInit(args)
	case "join":
		return kubeadmJoin(args)
	}
	return execReal(args)
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--"+name || a == "-"+name || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if strings.HasPrefix(a, "--"+name+"=") {
			return strings.TrimPrefix(a, "--"+name+"=")
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// withSkippedPreflight adds preflight to --skip-phases (merging with one the caller gave).
func withSkippedPreflight(args []string) []string {
	out := []string{}
	skips := []string{"preflight"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--skip-phases="):
			skips = append(skips, strings.Split(strings.TrimPrefix(a, "--skip-phases="), ",")...)
		case a == "--skip-phases" && i+1 < len(args):
			skips = append(skips, strings.Split(args[i+1], ",")...)
			i++
		default:
			out = append(out, a)
		}
	}
	return append(out, "--skip-phases="+strings.Join(skips, ","))
}

type kubeadmDocs struct {
	clusterVersion string
	bindPort       int
	advertise      string
	criSocket      string
	localEtcd      bool
	etcdDataDir    string
	nodeName       string
}

func readKubeadmConfig(path string) (*kubeadmDocs, error) {
	d := &kubeadmDocs{localEtcd: true, etcdDataDir: "/var/lib/etcd"}
	if path == "" {
		return d, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		switch str(doc["kind"]) {
		case "InitConfiguration", "JoinConfiguration":
			if le, ok := doc["localAPIEndpoint"].(map[string]any); ok {
				if p, ok := le["bindPort"].(int); ok {
					d.bindPort = p
				}
				d.advertise = str(le["advertiseAddress"])
			}
			if cp, ok := doc["controlPlane"].(map[string]any); ok {
				if le, ok := cp["localAPIEndpoint"].(map[string]any); ok {
					if p, ok := le["bindPort"].(int); ok {
						d.bindPort = p
					}
				}
			}
			if nr, ok := doc["nodeRegistration"].(map[string]any); ok {
				d.criSocket = str(nr["criSocket"])
				d.nodeName = str(nr["name"])
			}
		case "ClusterConfiguration":
			d.clusterVersion = str(doc["kubernetesVersion"])
			if e, ok := doc["etcd"].(map[string]any); ok {
				if _, ext := e["external"]; ext {
					d.localEtcd = false
				}
				if l, ok := e["local"].(map[string]any); ok && str(l["dataDir"]) != "" {
					d.etcdDataDir = str(l["dataDir"])
				}
			}
		}
	}
	return d, nil
}

type preflightCheck struct {
	name  string
	err   string
	fatal bool
}

func portInUse(port int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return true
	}
	ln.Close()
	return false
}

func dirNotEmpty(p string) bool {
	e, err := os.ReadDir(p)
	return err == nil && len(e) > 0
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func swapOn() bool {
	b, err := os.ReadFile(swapState)
	return err == nil && len(strings.Split(strings.TrimSpace(string(b)), "\n")) > 1
}

func criCheck(socket string) *preflightCheck {
	if socket == "" {
		socket = "unix:///var/run/containerd/containerd.sock"
	}
	path := strings.TrimPrefix(socket, "unix://")
	if exists(path) {
		return nil
	}
	return &preflightCheck{name: "CRI", fatal: true, err: fmt.Sprintf("container runtime is not running: output: , error: validate service connection: validate CRI v1 runtime API for endpoint %q: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix %s: connect: no such file or directory\"", socket, path)}
}

func commonChecks(cri string) []*preflightCheck {
	var cs []*preflightCheck
	if os.Geteuid() != 0 {
		cs = append(cs, &preflightCheck{name: "IsPrivilegedUser", err: "user is not running as root", fatal: true})
	}
	if c := criCheck(cri); c != nil {
		cs = append(cs, c)
	}
	if swapOn() {
		cs = append(cs, &preflightCheck{name: "Swap", err: "swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node"})
	}
	if st := unitEnabledState("kubelet.service"); st != "enabled" {
		cs = append(cs, &preflightCheck{name: "Service-Kubelet", err: "kubelet service is not enabled, please run 'systemctl enable kubelet.service'"})
	}
	if portInUse(10250) {
		cs = append(cs, &preflightCheck{name: "Port-10250", err: "Port 10250 is in use", fatal: true})
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); err == nil && strings.TrimSpace(string(b)) != "1" {
		cs = append(cs, &preflightCheck{name: "FileContent--proc-sys-net-ipv4-ip_forward", err: "/proc/sys/net/ipv4/ip_forward contents are not set to 1", fatal: true})
	}
	return cs
}

func controlPlaneChecks(bindPort int, localEtcd bool, dataDir string) []*preflightCheck {
	var cs []*preflightCheck
	for _, p := range []int{bindPort, 10259, 10257} {
		if portInUse(p) {
			cs = append(cs, &preflightCheck{name: fmt.Sprintf("Port-%d", p), err: fmt.Sprintf("Port %d is in use", p), fatal: true})
		}
	}
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"} {
		p := "/etc/kubernetes/manifests/" + c + ".yaml"
		if exists(p) {
			cs = append(cs, &preflightCheck{name: "FileAvailable-" + strings.ReplaceAll(p, "/", "-"), err: p + " already exists", fatal: true})
		}
	}
	if localEtcd {
		for _, p := range []int{2379, 2380} {
			if portInUse(p) {
				cs = append(cs, &preflightCheck{name: fmt.Sprintf("Port-%d", p), err: fmt.Sprintf("Port %d is in use", p), fatal: true})
			}
		}
		if dirNotEmpty(dataDir) {
			cs = append(cs, &preflightCheck{name: "DirAvailable-" + strings.ReplaceAll(dataDir, "/", "-"), err: dataDir + " is not empty", fatal: true})
		}
	}
	return cs
}

// runChecks prints warnings and reports fatal errors exactly as kubeadm's RunChecks does.
func runChecks(cs []*preflightCheck, ignore string) bool {
	ign := map[string]bool{}
	for _, n := range strings.Split(strings.ToLower(ignore), ",") {
		ign[strings.TrimSpace(n)] = true
	}
	var errs strings.Builder
	for _, c := range cs {
		if !c.fatal || ign["all"] || ign[strings.ToLower(c.name)] {
			fmt.Fprintf(os.Stderr, "\t[WARNING %s]: %s\n", c.name, c.err)
			continue
		}
		fmt.Fprintf(&errs, "\t[ERROR %s]: %s\n", c.name, c.err)
	}
	if errs.Len() == 0 {
		return true
	}
	fmt.Fprintf(os.Stderr, "error execution phase preflight: [preflight] Some fatal errors occurred:\n%s[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nTo see the stack trace of this error execute with --v=5 or higher\n", errs.String())
	return false
}

func skipsPreflight(args []string) bool {
	for _, a := range []string{flagValue(args, "skip-phases")} {
		for _, p := range strings.Split(a, ",") {
			if p == "preflight" {
				return true
			}
		}
	}
	return false
}

func kubeadmInit(args []string) int {
	cfg, err := readKubeadmConfig(flagValue(args, "config"))
	if err != nil {
		return execReal(args) // let the real one report the bad config its own way
	}
	ver := firstNonEmpty(flagValue(args, "kubernetes-version"), cfg.clusterVersion, version)
	if !skipsPreflight(args) {
		fmt.Printf("[init] Using Kubernetes version: %s\n", ver)
		fmt.Println("[preflight] Running pre-flight checks")
		port := cfg.bindPort
		if p := flagValue(args, "apiserver-bind-port"); p != "" {
			fmt.Sscan(p, &port)
		}
		if port == 0 {
			port = 6443
		}
		checks := append(controlPlaneChecks(port, cfg.localEtcd, cfg.etcdDataDir), commonChecks(cfg.criSocket)...)
		if !runChecks(checks, flagValue(args, "ignore-preflight-errors")) {
			return 1
		}
		fmt.Println("[preflight] Pulling images required for setting up a Kubernetes cluster")
		fmt.Println("[preflight] This might take a minute or two, depending on the speed of your internet connection")
		fmt.Println("[preflight] You can also perform this action beforehand using 'kubeadm config images pull'")
	}
	return runRealFiltered(withSkippedPreflight(args), "[init] Using Kubernetes version:")
}

func kubeadmJoin(args []string) int {
	cfg, err := readKubeadmConfig(flagValue(args, "config"))
	if err != nil {
		return execReal(args)
	}
	if !skipsPreflight(args) {
		fmt.Println("[preflight] Running pre-flight checks")
		var checks []*preflightCheck
		for _, f := range []string{"/etc/kubernetes/kubelet.conf", "/etc/kubernetes/bootstrap-kubelet.conf"} {
			if exists(f) {
				checks = append(checks, &preflightCheck{name: "FileAvailable-" + strings.ReplaceAll(f, "/", "-"), err: f + " already exists", fatal: true})
			}
		}
		controlPlane := hasFlag(args, "control-plane") || cfg.bindPort != 0
		if !controlPlane && exists("/etc/kubernetes/pki/ca.crt") {
			checks = append(checks, &preflightCheck{name: "FileAvailable--etc-kubernetes-pki-ca.crt", err: "/etc/kubernetes/pki/ca.crt already exists", fatal: true})
		}
		checks = append(checks, commonChecks(cfg.criSocket)...)
		ignore := flagValue(args, "ignore-preflight-errors")
		if !runChecks(checks, ignore) {
			return 1
		}
		if controlPlane {
			fmt.Println("[preflight] Running pre-flight checks before initializing the new control plane instance")
			port := cfg.bindPort
			if p := flagValue(args, "apiserver-bind-port"); p != "" {
				fmt.Sscan(p, &port)
			}
			if port == 0 {
				port = 6443
			}
			if !runChecks(controlPlaneChecks(port, false, ""), ignore) {
				return 1
			}
			fmt.Println("[preflight] Pulling images required for setting up a Kubernetes cluster")
			fmt.Println("[preflight] This might take a minute or two, depending on the speed of your internet connection")
			fmt.Println("[preflight] You can also perform this action beforehand using 'kubeadm config images pull'")
		}
	}
	return runRealFiltered(withSkippedPreflight(args), "")
}

// runRealFiltered runs the real kubeadm, dropping one stdout line already printed here.
func runRealFiltered(args []string, dropPrefix string) int {
	if dropPrefix == "" {
		return execReal(args)
	}
	cmd := exec.Command(realKubeadm(), args...)
	cmd.Args[0] = "kubeadm"
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "labkube: cannot run the real kubeadm: %v\n", err)
		return 1
	}
	r := bufio.NewReader(out)
	dropped := false
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			if !dropped && strings.HasPrefix(line, dropPrefix) {
				dropped = true
			} else {
				os.Stdout.WriteString(line)
			}
		}
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}

func isImagesPull(args []string) bool {
	var words []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			words = append(words, a)
		}
	}
	return len(words) >= 3 && words[0] == "config" && words[1] == "images" && words[2] == "pull"
}

// imagesPull stands in for `kubeadm config images pull`, which needs a CRI runtime: the image list
// comes from the real `config images list` with the same flags, each reported as pulled.
func imagesPull(args []string) int {
	list := make([]string, 0, len(args))
	for _, a := range args {
		if a == "pull" {
			a = "list"
		}
		list = append(list, a)
	}
	cmd := exec.Command(realKubeadm(), list...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 1
	}
	for _, img := range strings.Fields(string(out)) {
		fmt.Printf("[config/images] Pulled %s\n", img)
	}
	return 0
}
