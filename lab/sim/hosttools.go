package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Host tools that must not touch the machine itself: modules and packages are recorded; sysctl
// writes only keys that are per network namespace; swap is a per-host state in /run.

const (
	labState  = "/var/lib/labkube"
	swapState = "/run/labkube/swaps"
)

func record(file, line string) {
	_ = os.MkdirAll(labState, 0o755)
	f, err := os.OpenFile(filepath.Join(labState, file), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}

func modprobeMain(args []string) int {
	var mods []string
	for _, a := range args {
		if a == "--" || strings.HasPrefix(a, "-") {
			continue
		}
		mods = append(mods, a)
	}
	for _, m := range mods {
		record("modules", m)
		_ = os.MkdirAll(filepath.Join("/run/labkube/modules"), 0o755)
		_ = os.WriteFile(filepath.Join("/run/labkube/modules", m), nil, 0o644)
	}
	return 0
}

// netnsSafe keys are per network namespace in the kernel, so a lab host may really set them.
func netnsSafe(key string) bool {
	return strings.HasPrefix(key, "net.ipv4.") || strings.HasPrefix(key, "net.ipv6.") || strings.HasPrefix(key, "net.core.somaxconn") ||
		strings.HasPrefix(key, "net.netfilter.") || strings.HasPrefix(key, "net.unix.")
}

func sysctlPath(key string) string {
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
}

func sysctlMain(args []string) int {
	quiet := false
	var files []string
	var sets []string
	system := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "--system":
			system = true
		case a == "-p" || a == "--load":
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				files = append(files, args[i+1])
				i++
			} else {
				files = append(files, "/etc/sysctl.conf")
			}
		case strings.HasPrefix(a, "-p"):
			files = append(files, strings.TrimPrefix(a, "-p"))
		case a == "-w":
		case strings.HasPrefix(a, "-"):
		default:
			sets = append(sets, a)
		}
	}
	if system {
		for _, g := range []string{"/etc/sysctl.d/*.conf", "/run/sysctl.d/*.conf", "/usr/lib/sysctl.d/*.conf"} {
			m, _ := filepath.Glob(g)
			files = append(files, m...)
		}
		files = append(files, "/etc/sysctl.conf")
	}
	rc := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			if !system {
				fmt.Fprintf(os.Stderr, "sysctl: cannot open \"%s\": No such file or directory\n", f)
				rc = 1
			}
			continue
		}
		if system {
			fmt.Printf("* Applying %s ...\n", f)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") {
				continue
			}
			if setSysctl(strings.TrimPrefix(l, "-"), quiet) != 0 && !strings.HasPrefix(l, "-") {
				rc = 1
			}
		}
		fh.Close()
	}
	for _, s := range sets {
		if !strings.Contains(s, "=") {
			b, err := os.ReadFile(sysctlPath(s))
			if err != nil {
				if v := recordedSysctl(s); v != "" {
					fmt.Printf("%s = %s\n", s, v)
					continue
				}
				fmt.Fprintf(os.Stderr, "sysctl: cannot stat %s: No such file or directory\n", sysctlPath(s))
				rc = 255
				continue
			}
			v := strings.TrimSpace(string(b))
			if r := recordedSysctl(s); r != "" && !netnsSafe(s) {
				v = r
			}
			fmt.Printf("%s = %s\n", s, v)
			continue
		}
		if setSysctl(s, quiet) != 0 {
			rc = 1
		}
	}
	return rc
}

func recordedSysctl(key string) string {
	b, err := os.ReadFile(filepath.Join(labState, "sysctl", key))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func setSysctl(kv string, quiet bool) int {
	k, v, _ := strings.Cut(kv, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	k = strings.ReplaceAll(k, "/", ".")
	_ = os.MkdirAll(filepath.Join(labState, "sysctl"), 0o755)
	_ = os.WriteFile(filepath.Join(labState, "sysctl", k), []byte(v+"\n"), 0o644)
	if netnsSafe(k) {
		if err := os.WriteFile(sysctlPath(k), []byte(v), 0o644); err != nil && !os.IsNotExist(err) {
			fmt.Fprintf(os.Stderr, "sysctl: setting key \"%s\": %v\n", k, err)
		}
	}
	if !quiet {
		fmt.Printf("%s = %s\n", k, v)
	}
	return 0
}

func swapoffMain(args []string) int {
	_ = os.MkdirAll("/run/labkube", 0o755)
	_ = os.WriteFile(swapState, []byte("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"), 0o644)
	return 0
}

// fstabSwaps lists active swap entries in the host's /etc/fstab.
func fstabSwaps() []string {
	b, err := os.ReadFile("/etc/fstab")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && !strings.HasPrefix(f[0], "#") && f[2] == "swap" {
			out = append(out, f[0])
		}
	}
	return out
}

func swaponMain(args []string) int {
	devs := fstabSwaps()
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			devs = append(devs, a)
		}
	}
	if hasFlag(args, "show") || hasFlag(args, "s") || hasFlag(args, "summary") {
		b, _ := os.ReadFile(swapState)
		fmt.Print(string(b))
		return 0
	}
	setSwap(devs)
	return 0
}

func setSwap(devs []string) {
	_ = os.MkdirAll("/run/labkube", 0o755)
	s := "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	for _, d := range devs {
		s += fmt.Sprintf("%s\t\t\t\tfile\t\t2097148\t\t0\t\t-2\n", d)
	}
	_ = os.WriteFile(swapState, []byte(s), 0o644)
}

// containerdMain leaves the CRI socket behind, which is what kubeadm's preflight looks for.
func containerdMain(args []string) int {
	if len(args) >= 2 && args[0] == "config" && args[1] == "default" {
		fmt.Print(containerdDefaultConfig)
		return 0
	}
	if hasFlag(args, "version") || hasFlag(args, "v") || (len(args) > 0 && args[0] == "--version") {
		fmt.Println("containerd github.com/containerd/containerd v1.7.28 labkube")
		return 0
	}
	_ = os.MkdirAll("/run/containerd", 0o755)
	sock := "/run/containerd/containerd.sock"
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		_ = os.WriteFile(sock, nil, 0o660)
		return 0
	}
	// The listener is dropped on exit; keep the path so preflight sees a runtime socket.
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	ln.Close()
	return 0
}

func pkgMain(args []string) int {
	record("packages", strings.Join(args, " "))
	for _, a := range args {
		if a == "install" {
			fmt.Println("Reading package lists... Done")
			fmt.Println("Building dependency tree... Done")
			fmt.Println("(labkube: package installs are recorded, not performed)")
		}
	}
	return 0
}
