package main

import (
	"fmt"
	"log"
	"time"
)

// Mirror pods: the API's view of this node's static pods (kubeadm finds the etcd members of a
// stacked cluster through their annotations). Each is created as the kubelet creates it (the
// config.mirror annotation, owned by the Node, which NodeRestriction requires), recreated when
// its manifest changes or it is deleted, and its status patched when the process's state changes.

func (k *kubelet) syncMirrors() {
	want := map[string]*pod{}
	for _, p := range k.pods {
		want[p.namespace+"/"+p.name+"-"+k.nodeName] = p
	}
	k.mu.Lock()
	cached := map[string]obj{}
	for key, p := range k.cache {
		if isMirror(p) {
			cached[key] = p
		}
	}
	synced := k.cache != nil
	k.mu.Unlock()
	for key, p := range want {
		name := p.name + "-" + k.nodeName
		path := "/api/v1/namespaces/" + p.namespace + "/pods/"
		cur, ok := cached[key]
		if ok {
			ann, _ := meta(cur)["annotations"].(map[string]any)
			if str(ann["kubernetes.io/config.mirror"]) != p.hash {
				log.Printf("mirror pod %s: manifest changed, recreating", key)
				if err := k.client.do("DELETE", path+name, obj{"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0}, nil); err != nil && !isNotFound(err) {
					log.Printf("mirror pod %s: %v", key, err)
				}
				delete(k.mirrorPosted, key)
				continue // created again once the watch has seen it go
			}
		} else if synced {
			if err := k.client.do("POST", path[:len(path)-1], k.mirrorPod(p, name), nil); err != nil && !isConflict(err) {
				log.Printf("mirror pod %s: %v", key, err)
				continue
			}
			delete(k.mirrorPosted, key)
		} else {
			continue // until the first list, whether it exists is not known
		}
		p.mu.Lock()
		running, ready, restarts, started := p.running, p.ready, p.restarts, p.startedAt
		p.mu.Unlock()
		fp := fmt.Sprint(running, ready, restarts, started.Unix())
		if k.mirrorPosted[key] == fp {
			continue
		}
		spec, _ := p.manifest["spec"].(map[string]any)
		st := podStatus(spec, k.nodeIP, k.nodeIP, started, running, ready, restarts)
		if err := k.client.do("PATCH", path+name+"/status", obj{"status": st}, nil); err != nil {
			if !isNotFound(err) {
				log.Printf("mirror pod %s: status: %v", key, err)
			}
			continue
		}
		k.mirrorPosted[key] = fp
	}
	for key, cur := range cached {
		if _, ok := want[key]; ok {
			continue
		}
		m := meta(cur)
		if err := k.client.do("DELETE", "/api/v1/namespaces/"+str(m["namespace"])+"/pods/"+str(m["name"]), obj{"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0}, nil); err != nil && !isNotFound(err) {
			log.Printf("mirror pod %s: %v", key, err)
		}
		delete(k.mirrorPosted, key)
	}
}

func (k *kubelet) mirrorPod(p *pod, name string) obj {
	m := meta(p.manifest)
	ann := obj{}
	if a, ok := m["annotations"].(map[string]any); ok {
		for kk, v := range a {
			ann[kk] = v
		}
	}
	ann["kubernetes.io/config.source"] = "file"
	ann["kubernetes.io/config.hash"] = p.hash
	ann["kubernetes.io/config.mirror"] = p.hash
	ann["kubernetes.io/config.seen"] = time.Now().UTC().Format(time.RFC3339Nano)
	spec, _ := deepCopy(p.manifest["spec"]).(map[string]any)
	if spec == nil {
		spec = obj{}
	}
	spec["nodeName"] = k.nodeName
	return obj{"apiVersion": "v1", "kind": "Pod",
		"metadata": obj{"name": name, "namespace": p.namespace, "labels": m["labels"], "annotations": ann,
			"ownerReferences": []any{obj{"apiVersion": "v1", "kind": "Node", "name": k.nodeName, "uid": k.nodeUID, "controller": true}}},
		"spec": spec}
}
