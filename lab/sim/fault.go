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
//	expire-tokens   every bootstrap token expires now: the real apiserver refuses it at once, the
//	                controller-manager's token cleaner then deletes it
//	expire-certs    the uploaded kubeadm-certs secret expires now: its TTL-proxy token expires, the
//	                token cleaner deletes it and the garbage collector the secret it owns
//	kill-apiserver  SIGKILL the kube-apiserver on this host (the kubelet restarts it later)
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
	expired := map[string]bool{}
	for _, s := range list.Items {
		if str(s["type"]) != "bootstrap.kubernetes.io/token" || !match(s) {
			continue
		}
		d, _ := s["data"].(map[string]any)
		d["expiration"] = past
		s["apiVersion"], s["kind"] = "v1", "Secret"
		if err := c.do("PUT", "/api/v1/namespaces/kube-system/secrets/"+str(meta(s)["name"]), s, nil); err != nil {
			fmt.Fprintf(os.Stderr, "labkube-fault: %v\n", err)
			return 1
		}
		expired[str(meta(s)["uid"])] = true
		n++
	}
	// Done when the cluster has acted on it as on a real expiry: the token cleaner deleted the
	// tokens and the garbage collector what they owned (the kubeadm-certs secret).
	for deadline := time.Now().Add(30 * time.Second); len(expired) > 0; time.Sleep(500 * time.Millisecond) {
		if err := c.do("GET", "/api/v1/namespaces/kube-system/secrets", nil, &list); err != nil {
			continue
		}
		left := 0
		for _, s := range list.Items {
			if expired[str(meta(s)["uid"])] {
				left++
			}
			for _, o := range asList(meta(s)["ownerReferences"]) {
				if om, _ := o.(map[string]any); expired[str(om["uid"])] {
					left++
				}
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "labkube-fault: %d expired token(s) or their secrets still exist after 30 s\n", left)
			return 1
		}
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
