package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// journalctl -u UNIT [-n N]: a unit's output as the systemctl stand-in captured it (the kubelet
// stand-in writes its own log, shown for kubelet.service).
func journalctlMain(args []string) int {
	var units []string
	n := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-u" || a == "--unit") && i+1 < len(args):
			units = append(units, normUnit(args[i+1]))
			i++
		case strings.HasPrefix(a, "--unit="):
			units = append(units, normUnit(strings.TrimPrefix(a, "--unit=")))
		case strings.HasPrefix(a, "-u") && len(a) > 2:
			units = append(units, normUnit(a[2:]))
		case (a == "-n" || a == "--lines") && i+1 < len(args):
			fmt.Sscan(args[i+1], &n)
			i++
		case strings.HasPrefix(a, "--lines="):
			fmt.Sscan(strings.TrimPrefix(a, "--lines="), &n)
		}
	}
	if len(units) == 0 {
		fmt.Fprintln(os.Stderr, "labkube journalctl: only -u UNIT is simulated")
		return 1
	}
	var lines []string
	for _, u := range units {
		files := []string{filepath.Join("/var/log/labkube", u+".log")}
		if u == "kubelet.service" {
			files = append(files, "/var/log/labkube/kubelet.log")
		}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(fh)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			fh.Close()
		}
	}
	if len(lines) == 0 {
		fmt.Println("-- No entries --")
		return 0
	}
	if n >= 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Println(strings.Join(lines, "\n"))
	return 0
}

// hostnamectl: set-hostname writes /etc/hostname and sets the host's (UTS namespace's) name.
func hostnamectlMain(args []string) int {
	if len(args) >= 2 && args[0] == "set-hostname" {
		name := args[1]
		if err := os.WriteFile("/etc/hostname", []byte(name+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if out, err := exec.Command("hostname", name).CombinedOutput(); err != nil {
			fmt.Fprint(os.Stderr, string(out))
			return 1
		}
		return 0
	}
	if len(args) >= 1 && args[0] == "hostname" {
		h, _ := os.Hostname()
		fmt.Println(h)
		return 0
	}
	h, _ := os.Hostname()
	fmt.Printf(" Static hostname: %s\n Operating System: Debian GNU/Linux 12 (bookworm)\n", h)
	return 0
}

// containerdDefaultConfig is the part of `containerd config default` (1.7) that runbooks edit:
// sandbox_image and SystemdCgroup.
const containerdDefaultConfig = `disabled_plugins = []
imports = []
oom_score = 0
root = "/var/lib/containerd"
state = "/run/containerd"
version = 2

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/opt/cni/bin"
      conf_dir = "/etc/cni/net.d"

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      snapshotter = "overlayfs"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            SystemdCgroup = false

    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ""
`
