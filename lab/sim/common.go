package main

import (
	"encoding/base64"
	"strings"
)

// The Kubernetes version the lab's binaries are built at (scripts/build-kubernetes.sh).
const version = "v1.34.1"

// obj is an API object as decoded JSON; the stand-ins read only the few fields they need.
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

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// flagMap reads `--name=value`, `--name value` and bare `--name` flags.
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

func secretData(o obj, k string) string {
	d, _ := o["data"].(map[string]any)
	v, _ := base64.StdEncoding.DecodeString(str(d[k]))
	return string(v)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		o := obj{}
		for k, x := range t {
			o[k] = deepCopy(x)
		}
		return o
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}
