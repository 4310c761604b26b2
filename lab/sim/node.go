package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// The kubelet's Node: registered once (NodeRestriction lets it create only its own), its status
// computed every 10 s and posted when it changed or every 5 minutes (nodeStatusReportFrequency),
// and its Lease in kube-node-lease renewed every 10 s, which is what the controller-manager's
// node lifecycle controller watches.

const (
	cniDir               = "/etc/cni/net.d"
	statusReportInterval = 5 * time.Minute
	leaseDuration        = 40
)

func (k *kubelet) cniReady() bool {
	m, _ := filepath.Glob(filepath.Join(cniDir, "*.conf*"))
	j, _ := filepath.Glob(filepath.Join(cniDir, "*.json"))
	return len(m)+len(j) > 0
}

func microTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

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

// nodeStatus is the status the kubelet reports; heartbeat times are the caller's.
func (k *kubelet) nodeStatus(now string, transitions map[string]string) obj {
	ready := k.cniReady()
	cond := func(t, status, reason, msg string) obj {
		tr := transitions[t+"="+status]
		if tr == "" {
			tr = now
		}
		return obj{"type": t, "status": status, "reason": reason, "message": msg, "lastHeartbeatTime": now, "lastTransitionTime": tr}
	}
	readyCond := cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
	if !ready {
		readyCond = cond("Ready", "False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")
	}
	var uts syscall.Utsname
	_ = syscall.Uname(&uts)
	machineID, _ := os.ReadFile("/etc/machine-id")
	return obj{
		"conditions": []any{
			cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			readyCond,
		},
		"addresses":   []any{obj{"type": "InternalIP", "address": k.nodeIP}, obj{"type": "Hostname", "address": k.nodeName}},
		"capacity":    obj{"cpu": fmt.Sprint(runtime.NumCPU()), "memory": "2014360Ki", "pods": "110", "ephemeral-storage": "20470Mi", "hugepages-2Mi": "0"},
		"allocatable": obj{"cpu": fmt.Sprint(runtime.NumCPU()), "memory": "1911960Ki", "pods": "110", "ephemeral-storage": "18865Mi", "hugepages-2Mi": "0"},
		"nodeInfo": obj{"kubeletVersion": version, "kubeProxyVersion": version, "containerRuntimeVersion": "containerd://1.7.28",
			"osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": utsString(uts.Release[:]), "operatingSystem": "linux", "architecture": runtime.GOARCH,
			"machineID": strings.TrimSpace(string(machineID)), "systemUUID": "", "bootID": ""},
		"daemonEndpoints": obj{"kubeletEndpoint": obj{"Port": 10250}},
	}
}

// registerNode creates the Node once; a Node deleted later stays deleted until the kubelet
// restarts, as with the real kubelet.
func (k *kubelet) registerNode() error {
	var cur obj
	err := k.client.do("GET", "/api/v1/nodes/"+k.nodeName, nil, &cur)
	if isNotFound(err) {
		if k.registered {
			return fmt.Errorf("error getting node %q: nodes %q not found", k.nodeName, k.nodeName)
		}
		labels := obj{"kubernetes.io/hostname": k.nodeName, "kubernetes.io/os": "linux",
			"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": runtime.GOARCH}
		for _, kv := range strings.Split(k.flags["node-labels"], ",") {
			if n, v, ok := strings.Cut(kv, "="); ok {
				labels[n] = v
			}
		}
		spec := obj{}
		var taints []any
		for _, t := range strings.Split(k.flags["register-with-taints"], ",") {
			kv, effect, ok := strings.Cut(t, ":")
			if !ok {
				continue
			}
			key, val, _ := strings.Cut(kv, "=")
			taints = append(taints, obj{"key": key, "value": val, "effect": effect})
		}
		if len(taints) > 0 {
			spec["taints"] = taints
		}
		node := obj{"apiVersion": "v1", "kind": "Node",
			"metadata": obj{"name": k.nodeName, "labels": labels,
				"annotations": obj{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
			"spec": spec, "status": k.nodeStatus(microTime(time.Now())[:19]+"Z", nil)}
		if err := k.client.do("POST", "/api/v1/nodes", node, &cur); err != nil && !isConflict(err) {
			return err
		}
		log.Printf("registered node %s", k.nodeName)
		if cur == nil || str(meta(cur)["uid"]) == "" {
			if err := k.client.do("GET", "/api/v1/nodes/"+k.nodeName, nil, &cur); err != nil {
				return err
			}
		}
		k.lastStatus = time.Time{}
	} else if err != nil {
		return err
	}
	if uid := str(meta(cur)["uid"]); uid != k.nodeUID {
		k.nodeUID = uid
		k.lastStatus = time.Time{}
	}
	spec, _ := cur["spec"].(map[string]any)
	k.setPodCIDR(str(spec["podCIDR"]))
	k.registered = true
	return nil
}

// syncNodeStatus posts the status when it changed or is due, and renews the Lease.
// serverReady: does the Node's Ready condition, as the API holds it, say True?
func serverReady(node obj) bool {
	st, _ := node["status"].(map[string]any)
	for _, c := range asList(st["conditions"]) {
		if cm, _ := c.(map[string]any); str(cm["type"]) == "Ready" {
			return str(cm["status"]) == "True"
		}
	}
	return false
}

func (k *kubelet) syncNodeStatus() error {
	now := time.Now()
	ready := k.cniReady()
	// As the real kubelet does every 10 s: read the Node and post when what the API shows
	// differs from what this kubelet sees (e.g. the node lifecycle controller set Ready=Unknown
	// while this host's apiserver was down), not only when the kubelet's own view changed.
	var cur obj
	if err := k.client.do("GET", "/api/v1/nodes/"+k.nodeName, nil, &cur); err != nil {
		if isNotFound(err) {
			return fmt.Errorf("error getting node %q: nodes %q not found", k.nodeName, k.nodeName)
		}
		return err
	}
	if ready != k.lastReady || now.Sub(k.lastStatus) >= statusReportInterval || k.lastStatus.IsZero() || serverReady(cur) != ready {
		if str(meta(cur)["uid"]) != k.nodeUID {
			return fmt.Errorf("node %q was replaced", k.nodeName)
		}
		spec, _ := cur["spec"].(map[string]any)
		k.setPodCIDR(str(spec["podCIDR"]))
		transitions := map[string]string{}
		if st, ok := cur["status"].(map[string]any); ok {
			for _, c := range asList(st["conditions"]) {
				cm, _ := c.(map[string]any)
				transitions[str(cm["type"])+"="+str(cm["status"])] = str(cm["lastTransitionTime"])
			}
		}
		st := k.nodeStatus(now.UTC().Format(time.RFC3339), transitions)
		if err := k.client.do("PATCH", "/api/v1/nodes/"+k.nodeName+"/status", obj{"status": st}, nil); err != nil {
			return err
		}
		if ready != k.lastReady {
			log.Printf("node %s Ready=%v", k.nodeName, ready)
		}
		k.lastReady, k.lastStatus = ready, now
	}
	return k.renewLease(now)
}

func (k *kubelet) renewLease(now time.Time) error {
	path := "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/"
	spec := obj{"holderIdentity": k.nodeName, "leaseDurationSeconds": leaseDuration, "renewTime": microTime(now)}
	err := k.client.do("PATCH", path+k.nodeName, obj{"spec": spec}, nil)
	if isNotFound(err) {
		lease := obj{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
			"metadata": obj{"name": k.nodeName, "namespace": "kube-node-lease",
				"ownerReferences": []any{obj{"apiVersion": "v1", "kind": "Node", "name": k.nodeName, "uid": k.nodeUID}}},
			"spec": spec}
		err = k.client.do("POST", strings.TrimSuffix(path, "/"), lease, nil)
	}
	return err
}
