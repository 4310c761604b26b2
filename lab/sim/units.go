package main

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Unit search order, as systemd's: admin overrides first, then packaged units. The sim's own
// units (kubelet, containerd) stand where the distribution packages would put them.
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

const builtinUnitDir = "/usr/lib/systemd/system"

var builtinUnits = map[string]string{
	"kubelet.service": `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`,
	"kubelet.service.d/10-kubeadm.conf": `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`,
	// containerd has nothing to run here: a oneshot that leaves its socket behind keeps a host at
	// one long-lived process (the kubelet).
	"containerd.service": `[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd

[Install]
WantedBy=multi-user.target
`,
}

type unit struct {
	name     string
	path     string
	dropIns  []string
	masked   bool
	desc     string
	svc      map[string][]string // [Service] keys, each value in order (empty value resets lists)
	wantedBy []string
}

func (u *unit) get(key string) string {
	v := u.svc[key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// list returns the values of a list-like key, honouring "Key=" resets.
func (u *unit) list(key string) []string {
	var out []string
	for _, v := range u.svc[key] {
		if v == "" {
			out = nil
			continue
		}
		out = append(out, v)
	}
	return out
}

func normUnit(name string) string {
	if !strings.Contains(name, ".") {
		return name + ".service"
	}
	return name
}

func readUnitText(name string) (text, path string, ok bool) {
	for _, d := range unitDirs {
		p := filepath.Join(d, name)
		if b, err := os.ReadFile(p); err == nil {
			return string(b), p, true
		} else if target, lerr := os.Readlink(p); lerr == nil && target == "/dev/null" {
			return "", p, true
		}
	}
	if t, ok := builtinUnits[name]; ok {
		return t, filepath.Join(builtinUnitDir, name), true
	}
	return "", "", false
}

func loadUnit(name string) (*unit, bool) {
	name = normUnit(name)
	text, path, ok := readUnitText(name)
	if !ok {
		return nil, false
	}
	u := &unit{name: name, path: path, svc: map[string][]string{}}
	if target, err := os.Readlink(path); err == nil && target == "/dev/null" {
		u.masked = true
		return u, true
	}
	parseUnitInto(u, text)
	// Drop-ins: same file name in a later directory loses to an earlier one, as in systemd.
	seen := map[string]string{}
	for _, d := range unitDirs {
		matches, _ := filepath.Glob(filepath.Join(d, name+".d", "*.conf"))
		for _, m := range matches {
			if _, dup := seen[filepath.Base(m)]; !dup {
				seen[filepath.Base(m)] = m
			}
		}
	}
	for k := range builtinUnits {
		if strings.HasPrefix(k, name+".d/") {
			base := filepath.Base(k)
			if _, dup := seen[base]; !dup {
				seen[base] = "builtin:" + k
			}
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := seen[n]
		var t string
		if strings.HasPrefix(p, "builtin:") {
			k := strings.TrimPrefix(p, "builtin:")
			t = builtinUnits[k]
			p = filepath.Join(builtinUnitDir, k)
		} else {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			t = string(b)
		}
		u.dropIns = append(u.dropIns, p)
		parseUnitInto(u, t)
	}
	return u, true
}

func parseUnitInto(u *unit, text string) {
	section := ""
	sc := bufio.NewScanner(strings.NewReader(joinContinuations(text)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch section {
		case "Unit":
			if k == "Description" {
				u.desc = v
			}
		case "Service":
			u.svc[k] = append(u.svc[k], expandSpecifiers(u.name, v))
		case "Install":
			if k == "WantedBy" || k == "RequiredBy" {
				u.wantedBy = append(u.wantedBy, strings.Fields(v)...)
			}
		}
	}
}

func joinContinuations(text string) string {
	return strings.ReplaceAll(text, "\\\n", " ")
}

// unitEnv builds the environment of a unit's commands: Environment= then EnvironmentFile=.
func unitEnv(u *unit) map[string]string {
	env := map[string]string{}
	for _, line := range u.list("Environment") {
		for _, w := range splitWords(line) {
			if k, v, ok := strings.Cut(w, "="); ok {
				env[k] = v
			}
		}
	}
	for _, f := range u.list("EnvironmentFile") {
		optional := strings.HasPrefix(f, "-")
		f = strings.TrimPrefix(f, "-")
		b, err := os.ReadFile(f)
		if err != nil {
			_ = optional
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			line = strings.TrimPrefix(line, "export ")
			if k, v, ok := strings.Cut(line, "="); ok {
				ws := splitWords(v)
				env[strings.TrimSpace(k)] = strings.Join(ws, " ")
			}
		}
	}
	return env
}

// splitWords splits like systemd and sh: whitespace separates, quotes group, backslash escapes.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
			in = true
		case r == '\\' && quote != '\'':
			esc = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
			in = true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// expandCommand turns an Exec line into argv: "$VAR" splits into words, "${VAR}" stays one word.
func expandCommand(line string, env map[string]string) []string {
	var argv []string
	for _, w := range splitWords(line) {
		if strings.HasPrefix(w, "$") && !strings.HasPrefix(w, "${") {
			argv = append(argv, strings.Fields(env[w[1:]])...)
			continue
		}
		argv = append(argv, os.Expand(w, func(k string) string { return env[k] }))
	}
	return argv
}

// expandSpecifiers resolves the systemd specifiers packaged units use (%H, %p, %n, %i, %%).
func expandSpecifiers(name, v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	host, _ := os.Hostname()
	prefix := strings.TrimSuffix(name, filepath.Ext(name))
	inst := ""
	if p, i, ok := strings.Cut(prefix, "@"); ok {
		prefix, inst = p, i
	}
	r := strings.NewReplacer("%%", "%", "%H", host, "%p", prefix, "%n", name, "%N", strings.TrimSuffix(name, filepath.Ext(name)), "%i", inst)
	return r.Replace(v)
}
