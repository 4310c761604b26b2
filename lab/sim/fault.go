package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// labkube-fault: the simulators' fault kinds, run inside a lab host for the fault kinds of lab/sim/faults.ts.
//
//	expire-tokens   every bootstrap token expires now (the token cleaner then removes it)
//	expire-certs    the uploaded kubeadm-certs secret expires now (its TTL-proxy token expires)
//	kill-apiserver  SIGKILL the apiserver stand-in on this host (the kubelet restarts it later)
//	kill-etcd       SIGKILL the etcd member on this host (the kubelet restarts it later)
func faultMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: labkube-fault expire-tokens|expire-certs|kill-apiserver|kill-etcd")
		return 2
	}
	switch args[0] {
	case "expire-tokens":
		return expireTokens(func(o obj) bool { return secretData(o, "usage-bootstrap-authentication") == "true" })
	case "expire-certs":
		return expireTokens(func(o obj) bool { return strings.Contains(secretData(o, "description"), "kubeadm-certs") })
	case "kill-apiserver":
		return killComm("kube-apiserver")
	case "kill-etcd":
		return killComm("etcd")
	}
	fmt.Fprintf(os.Stderr, "labkube-fault: unknown fault %q\n", args[0])
	return 2
}

func expireTokens(match func(obj) bool) int {
	c, err := loadKubeconfig("/etc/kubernetes/admin.conf")
	if err != nil {
		fmt.Fprintf(os.Stderr, "labkube-fault: %v\n", err)
		return 1
	}
	var list struct {
		Items []obj `json:"items"`
	}
	if err := c.do("GET", "/api/v1/namespaces/kube-system/secrets", nil, &list); err != nil {
		fmt.Fprintf(os.Stderr, "labkube-fault: %v\n", err)
		return 1
	}
	n := 0
	past := base64.StdEncoding.EncodeToString([]byte(time.Now().Add(-time.Second).UTC().Format(time.RFC3339)))
	for _, s := range list.Items {
		if str(s["type"]) != "bootstrap.kubernetes.io/token" || !match(s) {
			continue
		}
		d, _ := s["data"].(map[string]any)
		d["expiration"] = past
		if err := c.do("PUT", "/api/v1/namespaces/kube-system/secrets/"+str(meta(s)["name"]), s, nil); err != nil {
			fmt.Fprintf(os.Stderr, "labkube-fault: %v\n", err)
			return 1
		}
		n++
	}
	fmt.Printf("expired %d token(s)\n", n)
	return 0
}

// killComm kills processes of this host by name. Only processes in this host's network
// namespace count, so other hosts' daemons of the same name are never touched.
func killComm(comm string) int {
	self, _ := os.Readlink("/proc/self/ns/net")
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		pid := 0
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid <= 1 {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(b)) != comm {
			continue
		}
		if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); ns != self {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	fmt.Printf("killed %d %s process(es)\n", n, comm)
	if n == 0 {
		return 1
	}
	return 0
}
