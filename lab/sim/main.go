// labkube is one multi-call binary standing in, on lab hosts, for what cannot run there for real:
// systemd, the kubelet (its containers and runtime), kubeadm's preflight checks and a few host
// tools; kubeadm and kubectl are the real ones behind a logging entry point. It is installed under
// each of those names in .tools/lab-bin, which the lab bind-mounts at /usr/local/bin in every
// host; argv[0] picks the tool.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

var tools = map[string]func(args []string) int{
	"systemctl":     systemctlMain,
	"kubelet":       kubeletMain,
	"kubeadm":       kubeadmMain,
	"kubectl":       kubectlMain,
	"modprobe":      modprobeMain,
	"sysctl":        sysctlMain,
	"swapoff":       swapoffMain,
	"swapon":        swaponMain,
	"containerd":    containerdMain,
	"apt-get":       pkgMain,
	"dnf":           pkgMain,
	"yum":           pkgMain,
	"lab-boot":      labBootMain,
	"journalctl":    journalctlMain,
	"hostnamectl":   hostnamectlMain,
	"labkube-fault": faultMain,
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "labkube" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: labkube TOOL [ARGS...]")
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	tool, ok := tools[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "labkube: unknown tool %q\n", name)
		os.Exit(2)
	}
	// Long-running daemons are not "commands a step ran"; everything else is logged so tests can
	// tell whether a step ran twice.
	if name != "kubelet" {
		logCommand(name, args)
	}
	os.Exit(tool(args))
}
