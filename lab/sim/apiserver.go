package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The kube-apiserver stand-in: kubeadm's real serving certificate on the manifest's port, the
// health endpoints, and a generic Kubernetes-shaped REST store kept in the topology's real etcd,
// so every control plane serves one cluster and the real kubeadm's online phases work against it.

const version = "v1.34.1"

type apiServer struct {
	etcd     *etcdClient
	prefix   string
	clientCA *x509.CertPool
	caFile   string
	mu       sync.Mutex
	etcdOK   time.Time
	svcCIDR  *net.IPNet
}

func flagMap(args []string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(a, "="); ok {
			m[k] = v
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			m[a] = args[i+1]
			i++
		} else {
			m[a] = "true"
		}
	}
	return m
}

func apiserverMain(args []string) int {
	f := flagMap(args)
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	port := f["secure-port"]
	if port == "" {
		port = "6443"
	}
	bind := f["bind-address"]
	if bind == "" || bind == "0.0.0.0" {
		bind = ""
	}
	ec, err := newEtcdClient(strings.Split(f["etcd-servers"], ","), f["etcd-cafile"], f["etcd-certfile"], f["etcd-keyfile"])
	if err != nil {
		log.Printf("etcd client: %v", err)
		return 1
	}
	s := &apiServer{etcd: ec, prefix: "/registry", caFile: f["client-ca-file"]}
	if _, n, err := net.ParseCIDR(strings.Split(firstNonEmpty(f["service-cluster-ip-range"], "10.96.0.0/12"), ",")[0]); err == nil {
		s.svcCIDR = n
	}
	if p := f["etcd-prefix"]; p != "" {
		s.prefix = strings.TrimRight(p, "/")
	}
	if s.caFile != "" {
		b, err := os.ReadFile(s.caFile)
		if err != nil {
			log.Printf("client CA: %v", err)
			return 1
		}
		s.clientCA = x509.NewCertPool()
		s.clientCA.AppendCertsFromPEM(b)
	}
	cert, err := tls.LoadX509KeyPair(f["tls-cert-file"], f["tls-private-key-file"])
	if err != nil {
		log.Printf("serving certificate: %v", err)
		return 1
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, port))
	if err != nil {
		log.Printf("listen: %v", err)
		return 1
	}
	srv := &http.Server{
		Handler:  s,
		ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    s.clientCA,
			NextProtos:   []string{"http/1.1"},
		},
	}
	go s.ensureKubernetesService(port)
	log.Printf("kube-apiserver stand-in %s serving on %s, etcd %s", version, ln.Addr(), f["etcd-servers"])
	if err := srv.ServeTLS(ln, "", ""); err != nil {
		log.Printf("serve: %v", err)
		return 1
	}
	return 0
}

type user struct {
	name      string
	groups    []string
	bootstrap bool
}

func (s *apiServer) authenticate(r *http.Request) (*user, bool) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		c := r.TLS.VerifiedChains[0][0]
		return &user{name: c.Subject.CommonName, groups: c.Subject.Organization}, true
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tok := strings.TrimPrefix(h, "Bearer ")
		id, secret, ok := strings.Cut(tok, ".")
		if ok {
			if t := s.bootstrapToken(id); t != nil && t.secret == secret && t.valid() {
				return &user{name: "system:bootstrap:" + id, groups: append([]string{"system:bootstrappers"}, t.groups...), bootstrap: true}, true
			}
		}
		return nil, false
	}
	return nil, true
}

func (s *apiServer) etcdHealthy() bool {
	s.mu.Lock()
	if time.Since(s.etcdOK) < time.Second {
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	if s.etcd.healthy() != nil {
		return false
	}
	s.mu.Lock()
	s.etcdOK = time.Now()
	s.mu.Unlock()
	return true
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimRight(r.URL.Path, "/")
	switch path {
	case "/livez":
		fmt.Fprint(w, "ok")
		return
	case "/healthz", "/readyz":
		if !s.etcdHealthy() {
			w.WriteHeader(500)
			fmt.Fprint(w, "[-]etcd failed: reason withheld\nhealthz check failed\n")
			return
		}
		fmt.Fprint(w, "ok")
		return
	case "/version":
		writeJSON(w, 200, map[string]string{"major": "1", "minor": "34", "gitVersion": version, "gitTreeState": "clean",
			"buildDate": "1970-01-01T00:00:00Z", "goVersion": "go1.24.6", "compiler": "gc", "platform": "linux/amd64"})
		return
	}
	u, ok := s.authenticate(r)
	if !ok {
		writeStatus(w, 401, "Unauthorized", "Unauthorized", nil)
		return
	}
	ref, err := parseResourcePath(path)
	if err != nil {
		if u == nil {
			writeStatus(w, 403, "Forbidden", fmt.Sprintf("forbidden: User \"system:anonymous\" cannot get path %q", r.URL.Path), nil)
			return
		}
		s.serveDiscovery(w, path)
		return
	}
	if u == nil && !(r.Method == "GET" && ref.ns == "kube-public" && ref.resource == "configmaps" && ref.name == "cluster-info") {
		writeStatus(w, 403, "Forbidden", fmt.Sprintf("%s is forbidden: User \"system:anonymous\" cannot %s resource %q in API group %q", ref.resource, strings.ToLower(r.Method), ref.resource, ref.group), nil)
		return
	}
	if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" {
		writeStatus(w, 405, "MethodNotAllowed", "watch is not supported by the lab's kube-apiserver stand-in", nil)
		return
	}
	s.serveResource(w, r, ref, u)
}

func (s *apiServer) serveDiscovery(w http.ResponseWriter, path string) {
	switch path {
	case "/api":
		writeJSON(w, 200, map[string]any{"kind": "APIVersions", "versions": []string{"v1"}, "serverAddressByClientCIDRs": []any{}})
	case "/apis":
		writeJSON(w, 200, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
	default:
		writeStatus(w, 404, "NotFound", "the server could not find the requested resource", nil)
	}
}

// decodeBody reads a JSON or protobuf request body into a generic object.
func decodeBody(r *http.Request) (obj, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/vnd.kubernetes.protobuf") {
		m, err := protobufToJSON(b)
		if err != nil {
			return nil, err
		}
		// the protobuf encoding carries apiVersion/kind in its envelope only
		return m, nil
	}
	var o obj
	err = json.Unmarshal(b, &o)
	return o, err
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string, details map[string]any) {
	st := map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": msg, "reason": reason, "code": code}
	if details != nil {
		st["details"] = details
	}
	writeJSON(w, code, st)
}

type resRef struct {
	group, version, resource, ns, name, sub string
}

var clusterScoped = map[string]bool{
	"nodes": true, "namespaces": true, "clusterroles": true, "clusterrolebindings": true,
	"certificatesigningrequests": true, "componentstatuses": true, "persistentvolumes": true,
	"customresourcedefinitions": true, "priorityclasses": true, "storageclasses": true,
	"apiservices": true, "validatingwebhookconfigurations": true, "mutatingwebhookconfigurations": true,
	"ingressclasses": true, "runtimeclasses": true, "csidrivers": true, "csinodes": true,
}

func parseResourcePath(p string) (resRef, error) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	var r resRef
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		r.version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		r.group, r.version, parts = parts[1], parts[2], parts[3:]
	default:
		return r, fmt.Errorf("not a resource path")
	}
	if parts[0] == "namespaces" && len(parts) >= 3 {
		r.ns, parts = parts[1], parts[2:]
	}
	r.resource = parts[0]
	if len(parts) > 1 {
		r.name = parts[1]
	}
	if len(parts) > 2 {
		r.sub = parts[2]
	}
	if len(parts) > 3 {
		return r, fmt.Errorf("path too deep")
	}
	return r, nil
}

func (r resRef) gv() string {
	if r.group == "" {
		return r.version
	}
	return r.group + "/" + r.version
}

func (s *apiServer) keyPrefix(r resRef) string {
	g := r.group
	if g == "" {
		g = "core"
	}
	p := s.prefix + "/" + g + "/" + r.resource + "/"
	if r.ns != "" {
		p += r.ns + "/"
	}
	return p
}

var kinds = map[string]string{
	"nodes": "Node", "pods": "Pod", "configmaps": "ConfigMap", "secrets": "Secret", "services": "Service",
	"serviceaccounts": "ServiceAccount", "namespaces": "Namespace", "endpoints": "Endpoints", "events": "Event",
	"deployments": "Deployment", "daemonsets": "DaemonSet", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
	"roles": "Role", "rolebindings": "RoleBinding", "clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding",
	"certificatesigningrequests": "CertificateSigningRequest", "leases": "Lease", "componentstatuses": "ComponentStatus",
	"podsecuritypolicies": "PodSecurityPolicy", "endpointslices": "EndpointSlice", "limitranges": "LimitRange",
	"resourcequotas": "ResourceQuota", "persistentvolumeclaims": "PersistentVolumeClaim", "persistentvolumes": "PersistentVolume",
}

func kindOf(resource string) string {
	if k, ok := kinds[resource]; ok {
		return k
	}
	k := strings.TrimSuffix(resource, "s")
	if k == "" {
		return resource
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

type obj = map[string]any

func meta(o obj) obj {
	m, _ := o["metadata"].(map[string]any)
	if m == nil {
		m = obj{}
		o["metadata"] = m
	}
	return m
}

func str(v any) string { s, _ := v.(string); return s }

func (s *apiServer) serveResource(w http.ResponseWriter, r *http.Request, ref resRef, u *user) {
	notFound := func() {
		writeStatus(w, 404, "NotFound", fmt.Sprintf("%s %q not found", ref.resource, ref.name),
			map[string]any{"name": ref.name, "kind": ref.resource, "group": ref.group})
	}
	if ref.resource == "componentstatuses" {
		s.componentStatuses(w, ref)
		return
	}
	if ref.resource == "namespaces" && ref.name != "" && ref.sub == "" && r.Method == "GET" && builtinNamespace(ref.name) {
		if o, _, _ := s.getObj(ref); o == nil {
			writeJSON(w, 200, namespaceObj(ref.name))
			return
		}
	}
	switch r.Method {
	case "GET":
		if ref.name == "" {
			s.list(w, r, ref)
			return
		}
		o, _, err := s.getObj(ref)
		if err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		if o == nil {
			notFound()
			return
		}
		writeJSON(w, 200, o)
	case "POST":
		o, err := decodeBody(r)
		if err != nil {
			writeStatus(w, 400, "BadRequest", err.Error(), nil)
			return
		}
		if ref.name != "" && ref.sub == "" {
			writeStatus(w, 405, "MethodNotAllowed", "POST on a named resource", nil)
			return
		}
		if ref.sub != "" {
			// eviction, token requests and the like: accepted, nothing to do
			writeJSON(w, 201, o)
			return
		}
		out, code, err := s.create(ref, o, u)
		if err != nil {
			if code == 409 {
				writeStatus(w, 409, "AlreadyExists", err.Error(), map[string]any{"name": str(meta(o)["name"]), "kind": ref.resource, "group": ref.group})
				return
			}
			writeStatus(w, code, "InternalError", err.Error(), nil)
			return
		}
		writeJSON(w, 201, out)
	case "PUT":
		o, err := decodeBody(r)
		if err != nil {
			writeStatus(w, 400, "BadRequest", err.Error(), nil)
			return
		}
		cur, _, err := s.getObj(ref)
		if err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		if cur == nil {
			notFound()
			return
		}
		if ref.sub == "status" {
			cur["status"] = o["status"]
			o = cur
		} else {
			// the server owns these, as the real one does
			m, cm := meta(o), meta(cur)
			for _, k := range []string{"uid", "creationTimestamp"} {
				m[k] = cm[k]
			}
			if o["status"] == nil && cur["status"] != nil {
				o["status"] = cur["status"]
			}
		}
		out, err := s.store(ref, o)
		if err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		writeJSON(w, 200, out)
	case "PATCH":
		patch, err := decodeBody(r)
		if err != nil {
			writeStatus(w, 400, "BadRequest", "only JSON merge and strategic merge patches are supported: "+err.Error(), nil)
			return
		}
		cur, _, err := s.getObj(ref)
		if err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		if cur == nil {
			notFound()
			return
		}
		merged := mergePatch(cur, patch).(map[string]any)
		out, err := s.store(ref, merged)
		if err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		writeJSON(w, 200, out)
	case "DELETE":
		if ref.name == "" {
			writeStatus(w, 405, "MethodNotAllowed", "collection delete is not supported", nil)
			return
		}
		cur, _, err := s.getObj(ref)
		if err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		if cur == nil {
			notFound()
			return
		}
		if err := s.etcd.del(s.keyPrefix(ref) + ref.name); err != nil {
			writeStatus(w, 500, "InternalError", err.Error(), nil)
			return
		}
		writeJSON(w, 200, obj{"kind": "Status", "apiVersion": "v1", "metadata": obj{}, "status": "Success",
			"details": obj{"name": ref.name, "kind": ref.resource, "uid": meta(cur)["uid"]}})
	default:
		writeStatus(w, 405, "MethodNotAllowed", r.Method+" is not supported", nil)
	}
}

// mergePatch applies an RFC 7386 merge patch; strategic-merge directives ($patch, $setElementOrder)
// are dropped, which is enough for the patches kubeadm and kubectl send here.
func mergePatch(cur any, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	cm, ok := cur.(map[string]any)
	if !ok {
		cm = map[string]any{}
	}
	for k, v := range pm {
		if strings.HasPrefix(k, "$") {
			continue
		}
		if v == nil {
			delete(cm, k)
			continue
		}
		cm[k] = mergePatch(cm[k], v)
	}
	return cm
}

func builtinNamespace(n string) bool {
	return n == "default" || n == "kube-system" || n == "kube-public" || n == "kube-node-lease"
}

func namespaceObj(n string) obj {
	return obj{"apiVersion": "v1", "kind": "Namespace", "metadata": obj{"name": n, "labels": obj{"kubernetes.io/metadata.name": n}},
		"spec": obj{"finalizers": []string{"kubernetes"}}, "status": obj{"phase": "Active"}}
}

func (s *apiServer) decorate(ref resRef, o obj, rev int64) obj {
	o["apiVersion"] = ref.gv()
	o["kind"] = kindOf(ref.resource)
	if rev > 0 {
		meta(o)["resourceVersion"] = fmt.Sprint(rev)
	}
	return o
}

// getObj reads one object, applying what the controllers of a real control plane would have done
// by now (expired tokens cleaned, orphaned secrets collected, cluster-info signed, silent nodes unknown).
func (s *apiServer) getObj(ref resRef) (obj, int64, error) {
	kv, err := s.etcd.get(s.keyPrefix(ref) + ref.name)
	if err != nil || kv == nil {
		return nil, 0, err
	}
	var o obj
	if err := json.Unmarshal(kv.Value, &o); err != nil {
		return nil, 0, err
	}
	if s.reap(ref, o) {
		return nil, 0, nil
	}
	s.controllersOnRead(ref, o)
	return s.decorate(ref, o, kv.ModRevision), kv.ModRevision, nil
}

func (s *apiServer) list(w http.ResponseWriter, r *http.Request, ref resRef) {
	kvs, rev, err := s.etcd.list(s.keyPrefix(ref))
	if err != nil {
		writeStatus(w, 500, "InternalError", err.Error(), nil)
		return
	}
	sel := parseSelector(r.URL.Query().Get("labelSelector"))
	fsel := parseSelector(r.URL.Query().Get("fieldSelector"))
	items := []any{}
	if ref.resource == "namespaces" {
		have := map[string]bool{}
		for _, kv := range kvs {
			have[filepath.Base(kv.Key)] = true
		}
		for _, n := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
			if !have[n] {
				items = append(items, namespaceObj(n))
			}
		}
	}
	for _, kv := range kvs {
		var o obj
		if json.Unmarshal(kv.Value, &o) != nil {
			continue
		}
		iref := ref
		iref.ns = str(meta(o)["namespace"])
		iref.name = str(meta(o)["name"])
		if s.reap(iref, o) {
			continue
		}
		s.controllersOnRead(iref, o)
		if !sel.matches(labelsOf(o)) || !fsel.matches(fieldsOf(o)) {
			continue
		}
		items = append(items, s.decorate(iref, o, kv.ModRevision))
	}
	if ref.resource == "pods" && ref.group == "" {
		for _, o := range s.virtualPods(ref.ns) {
			if sel.matches(labelsOf(o)) && fsel.matches(fieldsOf(o)) {
				items = append(items, o)
			}
		}
	}
	writeJSON(w, 200, obj{"apiVersion": ref.gv(), "kind": kindOf(ref.resource) + "List",
		"metadata": obj{"resourceVersion": fmt.Sprint(rev)}, "items": items})
}

func labelsOf(o obj) map[string]string {
	out := map[string]string{}
	if l, ok := meta(o)["labels"].(map[string]any); ok {
		for k, v := range l {
			out[k] = str(v)
		}
	}
	return out
}

func fieldsOf(o obj) map[string]string {
	out := map[string]string{"metadata.name": str(meta(o)["name"]), "metadata.namespace": str(meta(o)["namespace"])}
	if sp, ok := o["spec"].(map[string]any); ok {
		out["spec.nodeName"] = str(sp["nodeName"])
	}
	if st, ok := o["status"].(map[string]any); ok {
		out["status.phase"] = str(st["phase"])
	}
	out["type"] = str(o["type"])
	return out
}

type selReq struct {
	key, op, val string
}
type selector []selReq

func parseSelector(s string) selector {
	var out selector
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case strings.Contains(p, "!="):
			k, v, _ := strings.Cut(p, "!=")
			out = append(out, selReq{k, "!=", v})
		case strings.Contains(p, "=="):
			k, v, _ := strings.Cut(p, "==")
			out = append(out, selReq{k, "=", v})
		case strings.Contains(p, "="):
			k, v, _ := strings.Cut(p, "=")
			out = append(out, selReq{k, "=", v})
		case strings.HasPrefix(p, "!"):
			out = append(out, selReq{p[1:], "!", ""})
		default:
			out = append(out, selReq{p, "exists", ""})
		}
	}
	return out
}

func (sel selector) matches(l map[string]string) bool {
	for _, r := range sel {
		v, ok := l[r.key]
		switch r.op {
		case "=":
			if !ok || v != r.val {
				return false
			}
		case "!=":
			if ok && v == r.val {
				return false
			}
		case "!":
			if ok {
				return false
			}
		case "exists":
			if !ok {
				return false
			}
		}
	}
	return true
}

func (s *apiServer) create(ref resRef, o obj, u *user) (obj, int, error) {
	m := meta(o)
	name := str(m["name"])
	if name == "" {
		if gn := str(m["generateName"]); gn != "" {
			name = gn + randString(5)
		} else {
			return nil, 422, fmt.Errorf("%s: name or generateName is required", ref.resource)
		}
	}
	m["name"] = name
	if ref.ns != "" {
		m["namespace"] = ref.ns
	}
	m["uid"] = newUID()
	m["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
	if _, ok := m["generation"]; !ok {
		m["generation"] = 1
	}
	delete(m, "resourceVersion")
	ref.name = name
	if ref.resource == "certificatesigningrequests" {
		s.signCSR(o, u)
	}
	if ref.resource == "services" && ref.group == "" {
		s.allocateClusterIP(ref, o)
	}
	s.decorate(ref, o, 0)
	b, _ := json.Marshal(o)
	ok, rev, err := s.etcd.create(s.keyPrefix(ref)+name, b)
	if err != nil {
		return nil, 500, err
	}
	if !ok {
		return nil, 409, fmt.Errorf("%s %q already exists", ref.resource, name)
	}
	return s.decorate(ref, o, rev), 201, nil
}

func (s *apiServer) store(ref resRef, o obj) (obj, error) {
	m := meta(o)
	m["name"] = ref.name
	if ref.ns != "" {
		m["namespace"] = ref.ns
	}
	delete(m, "resourceVersion")
	s.decorate(ref, o, 0)
	b, _ := json.Marshal(o)
	rev, err := s.etcd.put(s.keyPrefix(ref)+ref.name, b)
	if err != nil {
		return nil, err
	}
	return s.decorate(ref, o, rev), nil
}

func (s *apiServer) componentStatuses(w http.ResponseWriter, ref resRef) {
	etcdSt := obj{"type": "Healthy", "status": "True", "message": "ok"}
	if !s.etcdHealthy() {
		etcdSt = obj{"type": "Healthy", "status": "False", "message": "etcd is unreachable", "error": "etcd is unreachable"}
	}
	mk := func(name string, c obj) obj {
		return obj{"apiVersion": "v1", "kind": "ComponentStatus", "metadata": obj{"name": name}, "conditions": []any{c}}
	}
	ok := obj{"type": "Healthy", "status": "True", "message": "ok"}
	items := []any{mk("controller-manager", ok), mk("scheduler", ok), mk("etcd-0", etcdSt)}
	if ref.name != "" {
		for _, it := range items {
			if str(meta(it.(obj))["name"]) == ref.name {
				writeJSON(w, 200, it)
				return
			}
		}
		writeStatus(w, 404, "NotFound", fmt.Sprintf("componentstatuses %q not found", ref.name), nil)
		return
	}
	writeJSON(w, 200, obj{"apiVersion": "v1", "kind": "ComponentStatusList", "metadata": obj{}, "items": items})
}

// allocateClusterIP gives a Service without one an address in --service-cluster-ip-range, as the
// real allocator does: the kubernetes service gets .1, the cluster DNS service .10, others a
// stable address derived from namespace/name.
func (s *apiServer) allocateClusterIP(ref resRef, o obj) {
	sp, _ := o["spec"].(map[string]any)
	if sp == nil {
		sp = obj{}
		o["spec"] = sp
	}
	if str(sp["type"]) == "" {
		sp["type"] = "ClusterIP"
	}
	if ip := str(sp["clusterIP"]); ip != "" || s.svcCIDR == nil {
		return
	}
	base := s.svcCIDR.IP.To4()
	if base == nil {
		return
	}
	ones, bits := s.svcCIDR.Mask.Size()
	size := uint32(1) << uint(bits-ones)
	h := contentHash([]byte(ref.ns + "/" + ref.name))
	var off uint32
	for i := 0; i < 8; i++ {
		off = off<<4 | uint32(strings.IndexByte("0123456789abcdef", h[i]))
	}
	off = 11 + off%(size-12)
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	ip := net.IPv4(byte((n+off)>>24), byte((n+off)>>16), byte((n+off)>>8), byte(n+off)).String()
	sp["clusterIP"] = ip
	sp["clusterIPs"] = []any{ip}
}

// ensureKubernetesService creates default/kubernetes (the first address of the service range),
// as every real apiserver does at start-up; it retries while etcd is not reachable yet.
func (s *apiServer) ensureKubernetesService(port string) {
	if s.svcCIDR == nil || s.svcCIDR.IP.To4() == nil {
		return
	}
	b := s.svcCIDR.IP.To4()
	ip := net.IPv4(b[0], b[1], b[2], b[3]+1).String()
	var p int
	fmt.Sscan(port, &p)
	o := obj{"metadata": obj{"name": "kubernetes", "labels": obj{"component": "apiserver", "provider": "kubernetes"}},
		"spec": obj{"type": "ClusterIP", "clusterIP": ip, "clusterIPs": []any{ip}, "sessionAffinity": "None",
			"ports": []any{obj{"name": "https", "port": 443, "protocol": "TCP", "targetPort": p}}}}
	for i := 0; i < 60; i++ {
		if _, code, err := s.create(resRef{version: "v1", resource: "services", ns: "default"}, o, nil); err == nil || code == 409 {
			return
		}
		time.Sleep(2 * time.Second)
	}
}
