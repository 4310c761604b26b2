package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"
)

// kubectl: the subset the runbooks use, against the stand-in, with kubectl's output shapes.

type resInfo struct {
	group, version, resource string
	namespaced               bool
}

var resAliases = map[string]resInfo{}

func init() {
	add := func(ri resInfo, names ...string) {
		for _, n := range names {
			resAliases[n] = ri
		}
	}
	add(resInfo{"", "v1", "nodes", false}, "nodes", "node", "no")
	add(resInfo{"", "v1", "pods", true}, "pods", "pod", "po")
	add(resInfo{"", "v1", "componentstatuses", false}, "componentstatuses", "componentstatus", "cs")
	add(resInfo{"", "v1", "services", true}, "services", "service", "svc")
	add(resInfo{"", "v1", "configmaps", true}, "configmaps", "configmap", "cm")
	add(resInfo{"", "v1", "secrets", true}, "secrets", "secret")
	add(resInfo{"", "v1", "namespaces", false}, "namespaces", "namespace", "ns")
	add(resInfo{"", "v1", "serviceaccounts", true}, "serviceaccounts", "serviceaccount", "sa")
	add(resInfo{"", "v1", "endpoints", true}, "endpoints", "ep")
	add(resInfo{"apps", "v1", "deployments", true}, "deployments", "deployment", "deploy")
	add(resInfo{"apps", "v1", "daemonsets", true}, "daemonsets", "daemonset", "ds")
	add(resInfo{"apps", "v1", "replicasets", true}, "replicasets", "replicaset", "rs")
	add(resInfo{"rbac.authorization.k8s.io", "v1", "clusterroles", false}, "clusterroles", "clusterrole")
	add(resInfo{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", false}, "clusterrolebindings", "clusterrolebinding")
	add(resInfo{"rbac.authorization.k8s.io", "v1", "roles", true}, "roles", "role")
	add(resInfo{"rbac.authorization.k8s.io", "v1", "rolebindings", true}, "rolebindings", "rolebinding")
	add(resInfo{"certificates.k8s.io", "v1", "certificatesigningrequests", false}, "certificatesigningrequests", "csr")
}

func resForKind(apiVersion, kind string) (resInfo, bool) {
	group, ver := "", apiVersion
	if g, v, ok := strings.Cut(apiVersion, "/"); ok {
		group, ver = g, v
	}
	for _, ri := range resAliases {
		if ri.group == group && kindOf(ri.resource) == kind {
			ri.version = ver
			return ri, true
		}
	}
	// unknown kinds (CRDs, policy objects...) are stored generically
	res := strings.ToLower(kind) + "s"
	if strings.HasSuffix(kind, "y") {
		res = strings.ToLower(kind[:len(kind)-1]) + "ies"
	}
	return resInfo{group, ver, res, !clusterScoped[res] && kind != "PodSecurityPolicy" && kind != "CustomResourceDefinition"}, true
}

type kflags struct {
	kubeconfig, namespace, output, timeout, forCond, selector string
	files                                                     []string
	all, allNamespaces, noHeaders                             bool
	pos                                                       []string
}

func parseKubectl(args []string) *kflags {
	f := &kflags{}
	val := func(i *int, a, long, short string) (string, bool) {
		if strings.HasPrefix(a, long+"=") {
			return strings.TrimPrefix(a, long+"="), true
		}
		if short != "" && strings.HasPrefix(a, short) && len(a) > len(short) && a[:2] != "--" {
			return strings.TrimPrefix(strings.TrimPrefix(a, short), "="), true
		}
		if a == long || (short != "" && a == short) {
			if *i+1 < len(args) {
				*i++
				return args[*i], true
			}
		}
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, ok := val(&i, a, "--kubeconfig", ""); ok {
			f.kubeconfig = v
		} else if v, ok := val(&i, a, "--namespace", "-n"); ok {
			f.namespace = v
		} else if v, ok := val(&i, a, "--output", "-o"); ok {
			f.output = v
		} else if v, ok := val(&i, a, "--filename", "-f"); ok {
			f.files = append(f.files, v)
		} else if v, ok := val(&i, a, "--timeout", ""); ok {
			f.timeout = v
		} else if v, ok := val(&i, a, "--for", ""); ok {
			f.forCond = v
		} else if v, ok := val(&i, a, "--selector", "-l"); ok {
			f.selector = v
		} else if a == "-A" || a == "--all-namespaces" {
			f.allNamespaces = true
		} else if a == "--all" {
			f.all = true
		} else if a == "--no-headers" || a == "--no-headers=true" {
			f.noHeaders = true
		} else if strings.HasPrefix(a, "-") && len(a) > 1 {
			// --overwrite, --ignore-not-found, -w ... accepted
		} else {
			f.pos = append(f.pos, a)
		}
	}
	return f
}

func kubectlMain(args []string) int {
	f := parseKubectl(args)
	if len(f.pos) == 0 {
		fmt.Fprintln(os.Stderr, "kubectl controls the Kubernetes cluster manager (lab subset: get, apply, create, delete, taint, label, wait, version)")
		return 1
	}
	verb := f.pos[0]
	if verb == "version" {
		fmt.Printf("Client Version: %s\nKustomize Version: v5.7.1\n", version)
		c, err := kubectlClient(f)
		if err == nil {
			var v map[string]string
			if c.do("GET", "/version", nil, &v) == nil {
				fmt.Printf("Server Version: %s\n", v["gitVersion"])
			}
		}
		return 0
	}
	c, err := kubectlClient(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	switch verb {
	case "get":
		return kubectlGet(c, f)
	case "apply", "create", "replace":
		return kubectlApply(c, f, verb)
	case "delete":
		return kubectlDelete(c, f)
	case "taint":
		return kubectlTaint(c, f)
	case "label":
		return kubectlLabel(c, f)
	case "wait":
		return kubectlWait(c, f)
	case "rollout":
		return kubectlRollout(c, f)
	case "cluster-info":
		fmt.Printf("Kubernetes control plane is running at %s\n", c.server)
		return 0
	}
	fmt.Fprintf(os.Stderr, "error: unknown command %q for \"kubectl\" (lab subset)\n", verb)
	return 1
}

func kubectlClient(f *kflags) (*kubeClient, error) {
	kc := firstNonEmpty(f.kubeconfig, strings.Split(os.Getenv("KUBECONFIG"), ":")[0])
	if kc == "" {
		home := firstNonEmpty(os.Getenv("HOME"), "/root")
		kc = home + "/.kube/config"
	}
	if _, err := os.Stat(kc); err != nil {
		return nil, fmt.Errorf("couldn't get current server API group list: Get \"http://localhost:8080/api?timeout=32s\": dial tcp 127.0.0.1:8080: connect: connection refused")
	}
	return loadKubeconfig(kc)
}

// splitResArgs turns ["nodes","a"] or ["node/a"] into resource info and names.
func splitResArgs(pos []string) (resInfo, []string, error) {
	if len(pos) == 0 {
		return resInfo{}, nil, fmt.Errorf("you must specify the type of resource to get")
	}
	first := pos[0]
	var names []string
	if r, n, ok := strings.Cut(first, "/"); ok {
		first = r
		names = append(names, n)
	}
	ri, ok := resAliases[strings.ToLower(strings.Split(first, ".")[0])]
	if !ok {
		return resInfo{}, nil, fmt.Errorf("the server doesn't have a resource type %q", first)
	}
	for _, p := range pos[1:] {
		if _, n, ok := strings.Cut(p, "/"); ok {
			p = n
		}
		names = append(names, p)
	}
	return ri, names, nil
}

func (f *kflags) ns() string { return firstNonEmpty(f.namespace, "default") }

func kubectlGet(c *kubeClient, f *kflags) int {
	ri, names, err := splitResArgs(f.pos[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	if ri.resource == "componentstatuses" {
		fmt.Fprintln(os.Stderr, "Warning: v1 ComponentStatus is deprecated in v1.19+")
	}
	ns := ""
	if ri.namespaced && !f.allNamespaces {
		ns = f.ns()
	}
	var items []obj
	if len(names) > 0 {
		for _, n := range names {
			var o obj
			if err := c.do("GET", nsPath(ri.group, ri.version, ns, ri.resource)+"/"+n, nil, &o); err != nil {
				fmt.Fprintf(os.Stderr, "Error from server (NotFound): %v\n", err)
				return 1
			}
			items = append(items, o)
		}
	} else {
		var list struct {
			Items []obj `json:"items"`
		}
		path := nsPath(ri.group, ri.version, ns, ri.resource)
		if f.selector != "" {
			path += "?labelSelector=" + f.selector
		}
		if err := c.do("GET", path, nil, &list); err != nil {
			fmt.Fprintf(os.Stderr, "Error from server: %v\n", err)
			return 1
		}
		items = list.Items
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := meta(items[i]), meta(items[j])
		if str(a["namespace"]) != str(b["namespace"]) {
			return str(a["namespace"]) < str(b["namespace"])
		}
		return str(a["name"]) < str(b["name"])
	})
	switch {
	case f.output == "json" || f.output == "yaml":
		var out any
		if len(names) == 1 {
			out = items[0]
		} else {
			l := make([]any, len(items))
			for i, it := range items {
				l[i] = it
			}
			out = obj{"apiVersion": "v1", "kind": "List", "items": l, "metadata": obj{"resourceVersion": ""}}
		}
		if f.output == "json" {
			b, _ := json.MarshalIndent(out, "", "    ")
			fmt.Println(string(b))
		} else {
			b, _ := yaml.Marshal(out)
			fmt.Print(string(b))
		}
		return 0
	case f.output == "name":
		for _, it := range items {
			fmt.Printf("%s/%s\n", strings.TrimSuffix(ri.resource, "s"), str(meta(it)["name"]))
		}
		return 0
	case strings.HasPrefix(f.output, "jsonpath="):
		fmt.Print(jsonPath(items, len(names) == 1, strings.TrimPrefix(f.output, "jsonpath=")))
		return 0
	}
	if len(items) == 0 {
		if ns != "" {
			fmt.Fprintf(os.Stderr, "No resources found in %s namespace.\n", ns)
		} else {
			fmt.Fprintln(os.Stderr, "No resources found")
		}
		return 0
	}
	var buf bytes.Buffer
	printTable(&buf, ri, items, f)
	out := buf.String()
	if f.noHeaders {
		_, out, _ = strings.Cut(out, "\n")
	}
	fmt.Print(out)
	return 0
}

func age(o obj) string {
	t, err := time.Parse(time.RFC3339, str(meta(o)["creationTimestamp"]))
	if err != nil {
		return "<unknown>"
	}
	d := time.Since(t)
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 10*time.Minute:
		s := int(d.Seconds()) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", int(d.Minutes()))
		}
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), s)
	case d < 3*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 8*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func nodeReady(o obj) string {
	st, _ := o["status"].(map[string]any)
	conds, _ := st["conditions"].([]any)
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if str(cm["type"]) == "Ready" {
			return str(cm["status"])
		}
	}
	return "Unknown"
}

func nodeRoles(o obj) string {
	var roles []string
	for k := range labelsOf(o) {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	if len(roles) == 0 {
		return "<none>"
	}
	return strings.Join(roles, ",")
}

func printTable(out io.Writer, ri resInfo, items []obj, f *kflags) {
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	defer w.Flush()
	wide := f.output == "wide"
	nsCol := f.allNamespaces && ri.namespaced
	pre := func(o obj) string {
		if nsCol {
			return str(meta(o)["namespace"]) + "\t"
		}
		return ""
	}
	hdr := ""
	if nsCol {
		hdr = "NAMESPACE\t"
	}
	switch ri.resource {
	case "nodes":
		h := "NAME\tSTATUS\tROLES\tAGE\tVERSION"
		if wide {
			h += "\tINTERNAL-IP\tEXTERNAL-IP\tOS-IMAGE\tKERNEL-VERSION\tCONTAINER-RUNTIME"
		}
		fmt.Fprintln(w, h)
		for _, o := range items {
			status := "NotReady"
			if nodeReady(o) == "True" {
				status = "Ready"
			}
			if sp, ok := o["spec"].(map[string]any); ok && sp["unschedulable"] == true {
				status += ",SchedulingDisabled"
			}
			st, _ := o["status"].(map[string]any)
			ni, _ := st["nodeInfo"].(map[string]any)
			line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", str(meta(o)["name"]), status, nodeRoles(o), age(o), str(ni["kubeletVersion"]))
			if wide {
				ip := ""
				if as, ok := st["addresses"].([]any); ok {
					for _, a := range as {
						am, _ := a.(map[string]any)
						if str(am["type"]) == "InternalIP" {
							ip = str(am["address"])
						}
					}
				}
				line += fmt.Sprintf("\t%s\t<none>\t%s\t%s\t%s", ip, str(ni["osImage"]), str(ni["kernelVersion"]), str(ni["containerRuntimeVersion"]))
			}
			fmt.Fprintln(w, line)
		}
	case "pods":
		h := hdr + "NAME\tREADY\tSTATUS\tRESTARTS\tAGE"
		if wide {
			h += "\tIP\tNODE\tNOMINATED NODE\tREADINESS GATES"
		}
		fmt.Fprintln(w, h)
		for _, o := range items {
			st, _ := o["status"].(map[string]any)
			cs, _ := st["containerStatuses"].([]any)
			sp, _ := o["spec"].(map[string]any)
			total, ready, restarts := len(cs), 0, 0
			if ctrs, ok := sp["containers"].([]any); ok && len(ctrs) > total {
				total = len(ctrs)
			}
			phase := firstNonEmpty(str(st["phase"]), "Pending")
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				if cm["ready"] == true {
					ready++
				}
				if n, ok := cm["restartCount"].(float64); ok {
					restarts += int(n)
				}
				if s, ok := cm["state"].(map[string]any); ok {
					if wt, ok := s["waiting"].(map[string]any); ok {
						phase = str(wt["reason"])
					}
				}
			}
			line := fmt.Sprintf("%s%s\t%d/%d\t%s\t%d\t%s", pre(o), str(meta(o)["name"]), ready, total, phase, restarts, age(o))
			if wide {
				line += fmt.Sprintf("\t%s\t%s\t<none>\t<none>", firstNonEmpty(str(st["podIP"]), "<none>"), firstNonEmpty(str(sp["nodeName"]), "<none>"))
			}
			fmt.Fprintln(w, line)
		}
	case "componentstatuses":
		fmt.Fprintln(w, "NAME\tSTATUS\tMESSAGE\tERROR")
		for _, o := range items {
			conds, _ := o["conditions"].([]any)
			status, msg, er := "Unknown", "", ""
			if len(conds) > 0 {
				cm, _ := conds[0].(map[string]any)
				status = map[string]string{"True": "Healthy", "False": "Unhealthy"}[str(cm["status"])]
				msg, er = str(cm["message"]), str(cm["error"])
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", str(meta(o)["name"]), status, msg, er)
		}
	case "deployments":
		fmt.Fprintln(w, hdr+"NAME\tREADY\tUP-TO-DATE\tAVAILABLE\tAGE")
		for _, o := range items {
			sp, _ := o["spec"].(map[string]any)
			st, _ := o["status"].(map[string]any)
			want := num(sp["replicas"], 1)
			fmt.Fprintf(w, "%s%s\t%d/%d\t%d\t%d\t%s\n", pre(o), str(meta(o)["name"]), num(st["readyReplicas"], 0), want, num(st["updatedReplicas"], 0), num(st["availableReplicas"], 0), age(o))
		}
	case "services":
		fmt.Fprintln(w, hdr+"NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE")
		for _, o := range items {
			sp, _ := o["spec"].(map[string]any)
			var ports []string
			ps, _ := sp["ports"].([]any)
			for _, p := range ps {
				pm, _ := p.(map[string]any)
				port := fmt.Sprintf("%d/%s", num(pm["port"], 0), firstNonEmpty(str(pm["protocol"]), "TCP"))
				if np := num(pm["nodePort"], 0); np > 0 {
					port = fmt.Sprintf("%d:%d/%s", num(pm["port"], 0), np, firstNonEmpty(str(pm["protocol"]), "TCP"))
				}
				ports = append(ports, port)
			}
			if len(ports) == 0 {
				ports = []string{"<none>"}
			}
			fmt.Fprintf(w, "%s%s\t%s\t%s\t<none>\t%s\t%s\n", pre(o), str(meta(o)["name"]), firstNonEmpty(str(sp["type"]), "ClusterIP"),
				firstNonEmpty(str(sp["clusterIP"]), "<none>"), strings.Join(ports, ","), age(o))
		}
	default:
		fmt.Fprintln(w, hdr+"NAME\tAGE")
		for _, o := range items {
			fmt.Fprintf(w, "%s%s\t%s\n", pre(o), str(meta(o)["name"]), age(o))
		}
	}
}

func num(v any, def int) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return def
}

// jsonPath handles the {.a.b[*].c} / {.items[*].metadata.name} forms scripts commonly use.
func jsonPath(items []obj, single bool, expr string) string {
	expr = strings.Trim(strings.TrimSpace(expr), "{}")
	var root any
	if single {
		root = items[0]
	} else {
		l := make([]any, len(items))
		for i, it := range items {
			l[i] = it
		}
		root = obj{"items": l}
	}
	vals := []any{root}
	for _, part := range strings.Split(strings.TrimPrefix(expr, "."), ".") {
		star := strings.HasSuffix(part, "[*]")
		part = strings.TrimSuffix(part, "[*]")
		var next []any
		for _, v := range vals {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			x := m[part]
			if l, ok := x.([]any); ok && star {
				next = append(next, l...)
			} else if x != nil {
				next = append(next, x)
			}
		}
		vals = next
	}
	var out []string
	for _, v := range vals {
		out = append(out, fmt.Sprint(v))
	}
	return strings.Join(out, " ")
}

func readDocs(files []string) ([]obj, error) {
	var docs []obj
	for _, file := range files {
		var r io.Reader
		if file == "-" {
			r = os.Stdin
		} else {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("the path %q does not exist", file)
			}
			r = bytes.NewReader(b)
		}
		dec := yaml.NewDecoder(r)
		for {
			var d obj
			err := dec.Decode(&d)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("error parsing %s: %v", file, err)
			}
			if d == nil {
				continue
			}
			if str(d["kind"]) == "List" {
				for _, it := range d["items"].([]any) {
					if m, ok := it.(map[string]any); ok {
						docs = append(docs, m)
					}
				}
				continue
			}
			docs = append(docs, d)
		}
	}
	return docs, nil
}

func shortKind(ri resInfo, kind string) string {
	k := strings.ToLower(kind)
	if ri.group != "" {
		return k + "." + ri.group
	}
	return k
}

// jsonable converts YAML-decoded values (map[string]any already) into JSON-safe ones.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonable(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = jsonable(x)
		}
		return t
	}
	return v
}

func kubectlApply(c *kubeClient, f *kflags, verb string) int {
	if len(f.files) == 0 {
		fmt.Fprintln(os.Stderr, "error: must specify one of -f and -k")
		return 1
	}
	docs, err := readDocs(f.files)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	rc := 0
	for _, d := range docs {
		d = jsonable(d).(map[string]any)
		kind := str(d["kind"])
		ri, _ := resForKind(str(d["apiVersion"]), kind)
		ns := ""
		if ri.namespaced {
			ns = firstNonEmpty(str(meta(d)["namespace"]), f.ns())
		}
		name := str(meta(d)["name"])
		base := nsPath(ri.group, ri.version, ns, ri.resource)
		if stringData, ok := d["stringData"].(map[string]any); ok && kind == "Secret" {
			data, _ := d["data"].(map[string]any)
			if data == nil {
				data = obj{}
			}
			for k, v := range stringData {
				data[k] = b64(fmt.Sprint(v))
			}
			d["data"] = data
			delete(d, "stringData")
		}
		var cur obj
		err := c.do("GET", base+"/"+name, nil, &cur)
		switch {
		case isNotFound(err):
			if err := c.do("POST", base, d, nil); err != nil {
				fmt.Fprintf(os.Stderr, "Error from server: error when creating %q: %v\n", strings.Join(f.files, ","), err)
				rc = 1
				continue
			}
			fmt.Printf("%s/%s created\n", shortKind(ri, kind), name)
		case err != nil:
			fmt.Fprintf(os.Stderr, "Error from server: %v\n", err)
			rc = 1
		case verb == "create":
			fmt.Fprintf(os.Stderr, "Error from server (AlreadyExists): error when creating %q: %s %q already exists\n", strings.Join(f.files, ","), ri.resource, name)
			rc = 1
		default:
			if err := c.do("PUT", base+"/"+name, d, nil); err != nil {
				fmt.Fprintf(os.Stderr, "Error from server: %v\n", err)
				rc = 1
				continue
			}
			fmt.Printf("%s/%s configured\n", shortKind(ri, kind), name)
		}
	}
	return rc
}

func kubectlDelete(c *kubeClient, f *kflags) int {
	ignore := false
	for _, a := range os.Args {
		if a == "--ignore-not-found" || a == "--ignore-not-found=true" {
			ignore = true
		}
	}
	type target struct {
		ri       resInfo
		ns, name string
		kind     string
	}
	var ts []target
	if len(f.files) > 0 {
		docs, err := readDocs(f.files)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			return 1
		}
		for _, d := range docs {
			ri, _ := resForKind(str(d["apiVersion"]), str(d["kind"]))
			ns := ""
			if ri.namespaced {
				ns = firstNonEmpty(str(meta(d)["namespace"]), f.ns())
			}
			ts = append(ts, target{ri, ns, str(meta(d)["name"]), str(d["kind"])})
		}
	} else {
		ri, names, err := splitResArgs(f.pos[1:])
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			return 1
		}
		ns := ""
		if ri.namespaced {
			ns = f.ns()
		}
		for _, n := range names {
			ts = append(ts, target{ri, ns, n, kindOf(ri.resource)})
		}
	}
	rc := 0
	for _, t := range ts {
		err := c.do("DELETE", nsPath(t.ri.group, t.ri.version, t.ns, t.ri.resource)+"/"+t.name, nil, nil)
		if err != nil {
			if isNotFound(err) && ignore {
				continue
			}
			fmt.Fprintf(os.Stderr, "Error from server (NotFound): %s %q not found\n", t.ri.resource, t.name)
			rc = 1
			continue
		}
		fmt.Printf("%s \"%s\" deleted\n", shortKind(t.ri, t.kind), t.name)
	}
	return rc
}

func nodeTargets(c *kubeClient, f *kflags, pos []string) ([]string, []string, error) {
	if len(pos) == 0 {
		return nil, nil, fmt.Errorf("at least one resource name must be specified")
	}
	first := pos[0]
	var names []string
	rest := pos[1:]
	if r, n, ok := strings.Cut(first, "/"); ok {
		first = r
		names = append(names, n)
	}
	if _, ok := resAliases[first]; !ok || resAliases[first].resource != "nodes" {
		return nil, nil, fmt.Errorf("resource type %s is not supported here", first)
	}
	if f.all || f.selector != "" {
		var list struct {
			Items []obj `json:"items"`
		}
		path := "/api/v1/nodes"
		if f.selector != "" {
			path += "?labelSelector=" + f.selector
		}
		if err := c.do("GET", path, nil, &list); err != nil {
			return nil, nil, err
		}
		for _, n := range list.Items {
			names = append(names, str(meta(n)["name"]))
		}
		return names, rest, nil
	}
	if len(names) == 0 && len(rest) > 0 {
		names, rest = append(names, rest[0]), rest[1:]
	}
	return names, rest, nil
}

func kubectlTaint(c *kubeClient, f *kflags) int {
	names, specs, err := nodeTargets(c, f, f.pos[1:])
	if err != nil || len(specs) == 0 {
		fmt.Fprintf(os.Stderr, "error: %v\n", firstErr(err, "at least one taint update is required"))
		return 1
	}
	rc := 0
	for _, n := range names {
		if kubectlTaintNode(c, n, specs) != 0 {
			rc = 1
		}
	}
	return rc
}

// kubectlTaintNode applies taint specs to one node; like kubectl, an error on one node does not
// stop the others.
func kubectlTaintNode(c *kubeClient, n string, specs []string) int {
	{
		var node obj
		if err := c.do("GET", "/api/v1/nodes/"+n, nil, &node); err != nil {
			fmt.Fprintf(os.Stderr, "Error from server (NotFound): nodes %q not found\n", n)
			return 1
		}
		sp, _ := node["spec"].(map[string]any)
		if sp == nil {
			sp = obj{}
			node["spec"] = sp
		}
		taints, _ := sp["taints"].([]any)
		removed := false
		for _, s := range specs {
			remove := strings.HasSuffix(s, "-")
			s = strings.TrimSuffix(s, "-")
			kv, effect, _ := strings.Cut(s, ":")
			key, value, _ := strings.Cut(kv, "=")
			var kept []any
			found := false
			for _, t := range taints {
				tm, _ := t.(map[string]any)
				if str(tm["key"]) == key && (effect == "" || str(tm["effect"]) == effect) {
					found = true
					continue
				}
				kept = append(kept, t)
			}
			if remove {
				if !found {
					fmt.Fprintf(os.Stderr, "error: taint %q not found\n", s)
					return 1
				}
				removed = true
				taints = kept
				continue
			}
			if found && !hasFlag(os.Args, "overwrite") {
				fmt.Fprintf(os.Stderr, "error: node %s already has %s taint(s) with same effect(s) and --overwrite is false\n", n, key)
				return 1
			}
			t := obj{"key": key, "effect": effect}
			if value != "" {
				t["value"] = value
			}
			taints = append(kept, t)
		}
		if taints == nil {
			taints = []any{}
		}
		sp["taints"] = taints
		if err := c.do("PUT", "/api/v1/nodes/"+n, node, nil); err != nil {
			fmt.Fprintf(os.Stderr, "Error from server: %v\n", err)
			return 1
		}
		if removed {
			fmt.Printf("node/%s untainted\n", n)
		} else {
			fmt.Printf("node/%s tainted\n", n)
		}
	}
	return 0
}

func firstErr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}

func kubectlLabel(c *kubeClient, f *kflags) int {
	ri, names, err := splitResArgs(f.pos[1:])
	if err != nil || len(names) < 2 {
		fmt.Fprintln(os.Stderr, "error: usage: kubectl label TYPE NAME KEY=VAL|KEY-")
		return 1
	}
	name, specs := names[0], names[1:]
	ns := ""
	if ri.namespaced {
		ns = f.ns()
	}
	labels := obj{}
	for _, s := range specs {
		if k, ok := strings.CutSuffix(s, "-"); ok {
			labels[k] = nil
		} else if k, v, ok := strings.Cut(s, "="); ok {
			labels[k] = v
		}
	}
	if err := c.do("PATCH", nsPath(ri.group, ri.version, ns, ri.resource)+"/"+name, obj{"metadata": obj{"labels": labels}}, nil); err != nil {
		fmt.Fprintf(os.Stderr, "Error from server: %v\n", err)
		return 1
	}
	fmt.Printf("%s/%s labeled\n", strings.TrimSuffix(ri.resource, "s"), name)
	return 0
}

func kubectlWait(c *kubeClient, f *kflags) int {
	cond, ok := strings.CutPrefix(f.forCond, "condition=")
	if !ok {
		fmt.Fprintln(os.Stderr, "error: only --for=condition=NAME is supported")
		return 1
	}
	want := "True"
	if k, v, ok := strings.Cut(cond, "="); ok {
		cond, want = k, v
	}
	timeout := 30 * time.Second
	if f.timeout != "" {
		if d, err := time.ParseDuration(f.timeout); err == nil {
			timeout = d
		}
	}
	ri, names, err := splitResArgs(f.pos[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	ns := ""
	if ri.namespaced {
		ns = f.ns()
	}
	deadline := time.Now().Add(timeout)
	met := map[string]bool{}
	for {
		var items []obj
		if f.all || len(names) == 0 {
			var list struct {
				Items []obj `json:"items"`
			}
			if err := c.do("GET", nsPath(ri.group, ri.version, ns, ri.resource), nil, &list); err == nil {
				items = list.Items
			}
		} else {
			for _, n := range names {
				var o obj
				if err := c.do("GET", nsPath(ri.group, ri.version, ns, ri.resource)+"/"+n, nil, &o); err == nil {
					items = append(items, o)
				}
			}
		}
		all := len(items) > 0 && (f.all || len(names) == 0 || len(items) == len(names))
		for _, o := range items {
			n := str(meta(o)["name"])
			st, _ := o["status"].(map[string]any)
			conds, _ := st["conditions"].([]any)
			ok := false
			for _, cc := range conds {
				cm, _ := cc.(map[string]any)
				if strings.EqualFold(str(cm["type"]), cond) && strings.EqualFold(str(cm["status"]), want) {
					ok = true
				}
			}
			if ok && !met[n] {
				met[n] = true
				fmt.Printf("%s/%s condition met\n", strings.TrimSuffix(ri.resource, "s"), n)
			}
			if !ok {
				all = false
			}
		}
		if all {
			return 0
		}
		if time.Now().After(deadline) {
			for _, o := range items {
				if n := str(meta(o)["name"]); !met[n] {
					fmt.Fprintf(os.Stderr, "error: timed out waiting for the condition on %s/%s\n", ri.resource, n)
				}
			}
			if len(items) == 0 {
				fmt.Fprintln(os.Stderr, "error: no matching resources found")
			}
			return 1
		}
		time.Sleep(time.Second)
	}
}

// kubectlRollout: `rollout status deployment/NAME` waits until every replica is ready.
func kubectlRollout(c *kubeClient, f *kflags) int {
	if len(f.pos) < 3 || f.pos[1] != "status" {
		fmt.Fprintln(os.Stderr, "error: only `kubectl rollout status deployment/NAME` is supported")
		return 1
	}
	ri, names, err := splitResArgs(f.pos[2:])
	if err != nil || ri.resource != "deployments" || len(names) != 1 {
		fmt.Fprintln(os.Stderr, "error: only `kubectl rollout status deployment/NAME` is supported")
		return 1
	}
	timeout := 10 * time.Minute
	if d, err := time.ParseDuration(f.timeout); err == nil && d > 0 {
		timeout = d
	}
	deadline := time.Now().Add(timeout)
	said := -1
	for {
		var d obj
		if err := c.do("GET", nsPath("apps", "v1", f.ns(), "deployments")+"/"+names[0], nil, &d); err != nil {
			fmt.Fprintf(os.Stderr, "Error from server (NotFound): deployments.apps %q not found\n", names[0])
			return 1
		}
		sp, _ := d["spec"].(map[string]any)
		st, _ := d["status"].(map[string]any)
		want, ready := num(sp["replicas"], 1), num(st["readyReplicas"], 0)
		if ready >= want {
			fmt.Printf("deployment %q successfully rolled out\n", names[0])
			return 0
		}
		if ready != said {
			fmt.Printf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...\n", names[0], ready, want)
			said = ready
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "error: timed out waiting for the condition")
			return 1
		}
		time.Sleep(time.Second)
	}
}
