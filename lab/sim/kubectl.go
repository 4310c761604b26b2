package main

// kubectl is the REAL kubectl v1.34.1 (kubectl.real, built by scripts/build-kubernetes.sh); this
// entry point only exists so that every call lands in the host's command log, as kubeadm's do.
func kubectlMain(args []string) int {
	return execBinary("kubectl", realBinary("kubectl"), args)
}
