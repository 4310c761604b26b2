package main

import (
	"encoding/binary"
	"encoding/json"
	"log"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Pods the scheduler binds to this node run virtually, as KWOK's pod controller runs them: no
// containers; each pod is marked Running and Ready with an IP from the node's spec.podCIDR (the
// node's own for hostNetwork pods), and a pod being deleted is deleted at once (grace period 0).
// The kubelet watches the pods bound to it (fieldSelector spec.nodeName) and keeps them in a cache
// that its mirror pods are reconciled against too.
//
// The one thing a pod does here: a flannel DaemonSet's pod writes flannel's CNI config (from its
// kube-flannel-cfg ConfigMap), and the node turns Ready when a CNI config exists, as with the
// real flannel.

func podKey(p obj) string { m := meta(p); return str(m["namespace"]) + "/" + str(m["name"]) }

func isMirror(p obj) bool {
	ann, _ := meta(p)["annotations"].(map[string]any)
	_, ok := ann["kubernetes.io/config.mirror"]
	return ok
}

func (k *kubelet) podsPath() string {
	return "/api/v1/pods?fieldSelector=" + url.QueryEscape("spec.nodeName="+k.nodeName)
}

// watchPods lists and then watches this node's pods for as long as the kubelet runs.
func (k *kubelet) watchPods() {
	for {
		c := k.apiClient()
		var list struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
			Items []obj `json:"items"`
		}
		if err := c.do("GET", k.podsPath(), nil, &list); err != nil {
			time.Sleep(3 * time.Second)
			continue
		}
		k.mu.Lock()
		k.cache = map[string]obj{}
		for _, p := range list.Items {
			k.cache[podKey(p)] = p
			k.notePodIP(p)
		}
		k.mu.Unlock()
		for _, p := range list.Items {
			k.runVirtual(p)
		}
		k.kick()
		resp, err := c.stream(k.podsPath() + "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" + list.Metadata.ResourceVersion)
		if err != nil {
			time.Sleep(3 * time.Second)
			continue
		}
		dec := json.NewDecoder(resp.Body)
		for {
			var ev struct {
				Type   string `json:"type"`
				Object obj    `json:"object"`
			}
			if err := dec.Decode(&ev); err != nil || ev.Type == "ERROR" {
				break
			}
			if ev.Type == "BOOKMARK" {
				continue
			}
			key := podKey(ev.Object)
			k.mu.Lock()
			if ev.Type == "DELETED" {
				delete(k.cache, key)
				k.releasePodIP(ev.Object)
			} else {
				k.cache[key] = ev.Object
			}
			k.mu.Unlock()
			if ev.Type == "DELETED" {
				if isMirror(ev.Object) {
					k.kick() // recreated if its static pod still runs
				}
				continue
			}
			k.runVirtual(ev.Object)
		}
		resp.Body.Close()
	}
}

// resyncVirtual retries pods left pending (no pod CIDR yet, or a failed status update).
func (k *kubelet) resyncVirtual() {
	for range time.Tick(5 * time.Second) {
		k.mu.Lock()
		var todo []obj
		for _, p := range k.cache {
			if !isMirror(p) && !virtualDone(p) {
				todo = append(todo, p)
			}
		}
		k.mu.Unlock()
		for _, p := range todo {
			k.runVirtual(p)
		}
	}
}

// virtualDone: the apiserver's copy already says what this kubelet would report. The Ready
// condition counts too: the node lifecycle controller marks every pod of a node whose Lease
// lapsed not Ready (a kubelet starved under load), and the real kubelet's status manager
// reports Ready again once it finds the apiserver's copy differs from its own.
func virtualDone(p obj) bool {
	st, _ := p["status"].(map[string]any)
	if meta(p)["deletionTimestamp"] != nil || str(st["phase"]) != "Running" || str(st["podIP"]) == "" {
		return false
	}
	for _, c := range asList(st["conditions"]) {
		if cm, _ := c.(map[string]any); str(cm["type"]) == "Ready" {
			return str(cm["status"]) == "True"
		}
	}
	return false
}

func (k *kubelet) runVirtual(p obj) {
	if isMirror(p) {
		return
	}
	m := meta(p)
	ns, name := str(m["namespace"]), str(m["name"])
	if m["deletionTimestamp"] != nil {
		del := obj{"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "preconditions": obj{"uid": m["uid"]}}
		if err := k.apiClient().do("DELETE", "/api/v1/namespaces/"+ns+"/pods/"+name, del, nil); err != nil && !isNotFound(err) && !isConflict(err) {
			log.Printf("pod %s/%s: delete: %v", ns, name, err)
		}
		return
	}
	k.flannelCNI(p)
	if virtualDone(p) {
		return
	}
	spec, _ := p["spec"].(map[string]any)
	ip := k.nodeIP
	if hn, _ := spec["hostNetwork"].(bool); !hn {
		k.mu.Lock()
		ip = k.allocatePodIP(p)
		k.mu.Unlock()
		if ip == "" {
			return // no pod CIDR yet: the resync retries
		}
	}
	started := time.Now()
	if prev, _ := p["status"].(map[string]any); prev != nil {
		// a re-report keeps the pod's start, as the kubelet does
		if t, err := time.Parse(time.RFC3339, str(prev["startTime"])); err == nil {
			started = t
		}
	}
	st := podStatus(spec, k.nodeIP, ip, started, true, true, 0)
	if err := k.apiClient().do("PATCH", "/api/v1/namespaces/"+ns+"/pods/"+name+"/status", obj{"status": st}, nil); err != nil && !isNotFound(err) {
		log.Printf("pod %s/%s: status: %v", ns, name, err)
		return
	}
	log.Printf("pod %s/%s: running virtually, IP %s", ns, name, ip)
}

// podStatus is a pod's status as the kubelet reports it, for the spec's containers.
func podStatus(spec obj, hostIP, podIP string, started time.Time, running, ready bool, restarts int) obj {
	ts := started.UTC().Format(time.RFC3339)
	b := func(v bool) string {
		if v {
			return "True"
		}
		return "False"
	}
	var cs, ics []any
	for _, c := range asList(spec["containers"]) {
		cm, _ := c.(map[string]any)
		state := obj{"running": obj{"startedAt": ts}}
		if !running {
			state = obj{"waiting": obj{"reason": "CrashLoopBackOff", "message": "back-off restarting failed container"}}
		}
		cs = append(cs, obj{"name": cm["name"], "image": cm["image"], "imageID": "", "ready": ready, "started": running,
			"restartCount": restarts, "state": state})
	}
	for _, c := range asList(spec["initContainers"]) {
		cm, _ := c.(map[string]any)
		ics = append(ics, obj{"name": cm["name"], "image": cm["image"], "imageID": "", "ready": true, "restartCount": 0,
			"state": obj{"terminated": obj{"exitCode": 0, "reason": "Completed", "startedAt": ts, "finishedAt": ts}}})
	}
	st := obj{"phase": "Running", "hostIP": hostIP, "hostIPs": []any{obj{"ip": hostIP}}, "podIP": podIP, "podIPs": []any{obj{"ip": podIP}},
		"startTime": ts,
		"conditions": []any{
			obj{"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": ts},
			obj{"type": "Initialized", "status": "True", "lastTransitionTime": ts},
			obj{"type": "Ready", "status": b(ready), "lastTransitionTime": ts},
			obj{"type": "ContainersReady", "status": b(ready), "lastTransitionTime": ts},
			obj{"type": "PodScheduled", "status": "True", "lastTransitionTime": ts},
		},
		"containerStatuses": cs}
	if ics != nil {
		st["initContainerStatuses"] = ics
	}
	return st
}

func (k *kubelet) setPodCIDR(cidr string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if cidr != "" && cidr != k.podCIDR {
		log.Printf("node %s: pod CIDR %s", k.nodeName, cidr)
		k.podCIDR = cidr
	}
}

func (k *kubelet) notePodIP(p obj) {
	st, _ := p["status"].(map[string]any)
	if ip := str(st["podIP"]); ip != "" && ip != k.nodeIP {
		k.ips[ip] = str(meta(p)["uid"])
	}
}

func (k *kubelet) releasePodIP(p obj) {
	uid := str(meta(p)["uid"])
	for ip, u := range k.ips {
		if u == uid {
			delete(k.ips, ip)
		}
	}
}

// allocatePodIP gives the pod the lowest free address of the node's pod CIDR after the
// gateway's (.1, flannel's cni0), as host-local IPAM does; callers hold k.mu.
func (k *kubelet) allocatePodIP(p obj) string {
	uid := str(meta(p)["uid"])
	for ip, u := range k.ips {
		if u == uid {
			return ip
		}
	}
	_, n, err := net.ParseCIDR(k.podCIDR)
	if err != nil || n.IP.To4() == nil {
		return ""
	}
	base := binary.BigEndian.Uint32(n.IP.To4())
	ones, bits := n.Mask.Size()
	size := uint32(1) << (bits - ones)
	for i := uint32(2); i < size-1; i++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+i)
		if _, used := k.ips[ip.String()]; !used {
			k.ips[ip.String()] = uid
			return ip.String()
		}
	}
	return ""
}

// flannelCNI: a flannel DaemonSet pod on this node installs flannel's CNI config.
func (k *kubelet) flannelCNI(p obj) {
	owner := false
	for _, o := range asList(meta(p)["ownerReferences"]) {
		om, _ := o.(map[string]any)
		if str(om["kind"]) == "DaemonSet" && strings.Contains(str(om["name"]), "flannel") {
			owner = true
		}
	}
	if !owner || k.cniReady() {
		return
	}
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
	if err := k.apiClient().do("GET", "/api/v1/namespaces/"+str(meta(p)["namespace"])+"/configmaps/kube-flannel-cfg", nil, &cm); err == nil {
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
	k.kick()
}
