package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The deployment and replica-set controllers and the scheduler, as a view: a Deployment's pods
// are derived when pods or deployments are read, placed on Ready nodes whose taints they
// tolerate, and Pending while there are none (CoreDNS before a CNI, say). Nothing runs for them.

type nodeView struct {
	name, ip string
	ready    bool
	unsched  bool
	taints   []map[string]any
	labels   map[string]string
}

func (s *apiServer) nodeViews() []nodeView {
	kvs, _, err := s.etcd.list(s.prefix + "/core/nodes/")
	if err != nil {
		return nil
	}
	var out []nodeView
	for _, kv := range kvs {
		var o obj
		if json.Unmarshal(kv.Value, &o) != nil {
			continue
		}
		nodeLifecycle(o)
		v := nodeView{name: str(meta(o)["name"]), ready: nodeReady(o) == "True", labels: labelsOf(o)}
		if sp, ok := o["spec"].(map[string]any); ok {
			v.unsched = sp["unschedulable"] == true
			ts, _ := sp["taints"].([]any)
			for _, t := range ts {
				if tm, ok := t.(map[string]any); ok {
					v.taints = append(v.taints, tm)
				}
			}
		}
		if st, ok := o["status"].(map[string]any); ok {
			as, _ := st["addresses"].([]any)
			for _, a := range as {
				if am, ok := a.(map[string]any); ok && str(am["type"]) == "InternalIP" {
					v.ip = str(am["address"])
				}
			}
		}
		out = append(out, v)
	}
	return out
}

func tolerates(tols []any, taint map[string]any) bool {
	for _, t := range tols {
		tm, _ := t.(map[string]any)
		if e := str(tm["effect"]); e != "" && e != str(taint["effect"]) {
			continue
		}
		key, op := str(tm["key"]), str(tm["operator"])
		if op == "Exists" && (key == "" || key == str(taint["key"])) {
			return true
		}
		if key == str(taint["key"]) && str(tm["value"]) == str(taint["value"]) {
			return true
		}
	}
	return false
}

// eligible lists the nodes a pod template may be scheduled on.
func eligible(nodes []nodeView, tspec map[string]any) []nodeView {
	tols, _ := tspec["tolerations"].([]any)
	sel, _ := tspec["nodeSelector"].(map[string]any)
	var out []nodeView
	for _, n := range nodes {
		if !n.ready || n.unsched {
			continue
		}
		ok := true
		for _, t := range n.taints {
			if e := str(t["effect"]); (e == "NoSchedule" || e == "NoExecute") && !tolerates(tols, t) {
				ok = false
			}
		}
		for k, v := range sel {
			if n.labels[k] != str(v) {
				ok = false
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
}

func templateOf(d obj) (map[string]any, map[string]any, int) {
	spec, _ := d["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	tspec, _ := tmpl["spec"].(map[string]any)
	tmeta, _ := tmpl["metadata"].(map[string]any)
	replicas := num(spec["replicas"], 1)
	if tspec == nil {
		tspec = obj{}
	}
	return tspec, tmeta, replicas
}

// dnsSafeHash is the pod-template-hash label of the would-be ReplicaSet.
func dnsSafeHash(v any) string {
	b, _ := json.Marshal(v)
	h := contentHash(b)
	r := strings.NewReplacer("a", "b", "e", "f", "i", "j", "o", "p", "u", "v", "0", "2", "1", "3")
	return r.Replace(h)[:10]
}

func (s *apiServer) deploymentPods(d obj, nodes []nodeView) []obj {
	tspec, tmeta, replicas := templateOf(d)
	name, ns := str(meta(d)["name"]), str(meta(d)["namespace"])
	hash := dnsSafeHash(tspec)
	places := eligible(nodes, tspec)
	var pods []obj
	for i := 0; i < replicas; i++ {
		labels := obj{"pod-template-hash": hash}
		tl, _ := tmeta["labels"].(map[string]any)
		for k, v := range tl {
			labels[k] = v
		}
		sp := deepCopy(tspec).(map[string]any)
		pname := fmt.Sprintf("%s-%s-%s", name, hash, dnsSafeHash(fmt.Sprint(name, i))[:5])
		status := obj{"phase": "Pending", "conditions": []any{obj{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
			"message": fmt.Sprintf("0/%d nodes are available: %d node(s) had untolerated taint(s) or were not ready.", len(nodes), len(nodes))}}}
		if len(places) > 0 {
			n := places[(i+int(hash[0]))%len(places)]
			sp["nodeName"] = n.name
			var cs []any
			ctrs, _ := tspec["containers"].([]any)
			for _, c := range ctrs {
				cm, _ := c.(map[string]any)
				cs = append(cs, obj{"name": str(cm["name"]), "ready": true, "restartCount": 0,
					"state": obj{"running": obj{"startedAt": meta(d)["creationTimestamp"]}}})
			}
			status = obj{"phase": "Running", "hostIP": n.ip, "podIP": fmt.Sprintf("10.244.%d.%d", i%250, 10+i/250),
				"conditions": []any{obj{"type": "Ready", "status": "True"}}, "containerStatuses": cs}
		}
		pods = append(pods, obj{"apiVersion": "v1", "kind": "Pod",
			"metadata": obj{"name": pname, "namespace": ns, "labels": labels, "creationTimestamp": meta(d)["creationTimestamp"],
				"ownerReferences": []any{obj{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name + "-" + hash, "controller": true}}},
			"spec": sp, "status": status})
	}
	return pods
}

// deploymentStatus fills in what the deployment controller would report.
func (s *apiServer) deploymentStatus(d obj, nodes []nodeView) {
	_, _, replicas := templateOf(d)
	ready := 0
	for _, p := range s.deploymentPods(d, nodes) {
		if str(p["status"].(obj)["phase"]) == "Running" {
			ready++
		}
	}
	avail := obj{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."}
	if ready < replicas {
		avail = obj{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."}
	}
	avail["lastUpdateTime"] = time.Now().UTC().Format(time.RFC3339)
	d["status"] = obj{"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
		"availableReplicas": ready, "unavailableReplicas": replicas - ready, "conditions": []any{avail}}
}

// virtualPods are the pods of every Deployment in ns ("" for all namespaces).
func (s *apiServer) virtualPods(ns string) []obj {
	p := s.prefix + "/apps/deployments/"
	if ns != "" {
		p += ns + "/"
	}
	kvs, _, err := s.etcd.list(p)
	if err != nil || len(kvs) == 0 {
		return nil
	}
	nodes := s.nodeViews()
	var out []obj
	for _, kv := range kvs {
		var d obj
		if json.Unmarshal(kv.Value, &d) == nil {
			out = append(out, s.deploymentPods(d, nodes)...)
		}
	}
	return out
}
