package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

// tlsBootstrap is the kubelet's client-certificate bootstrap against the real apiserver: a CSR
// for system:node:NAME sent with the bootstrap token of bootstrap-kubelet.conf, approved by the
// controller-manager's csrapproving controller (kubeadm's node-autoapprove-bootstrap binding) and
// signed by its csrsigning controller with the cluster CA; the certificate is kept under
// /var/lib/kubelet/pki and kubelet.conf points at it.
func (k *kubelet) tlsBootstrap(bootPath, kcPath string) error {
	bc, err := loadKubeconfig(bootPath)
	if err != nil {
		return err
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + k.nodeName, Organization: []string{"system:nodes"}}}, key)
	if err != nil {
		return err
	}
	reqPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	// the real kubelet names its CSR after the request's hash, so a retry finds its own
	sum := sha256.Sum256(der)
	name := "node-csr-" + hex.EncodeToString(sum[:])[:43]
	csr := obj{"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
		"metadata": obj{"name": name},
		"spec": obj{"request": base64.StdEncoding.EncodeToString(reqPEM),
			"signerName": "kubernetes.io/kube-apiserver-client-kubelet", "usages": []string{"digital signature", "client auth"}}}
	if err := bc.do("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", csr, nil); err != nil && !isConflict(err) {
		return err
	}
	log.Printf("TLS bootstrap: CSR %s sent, waiting for it to be approved and signed", name)
	var certPEM []byte
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Second) {
		var out obj
		if err := bc.do("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/"+name, nil, &out); err != nil {
			return err
		}
		st, _ := out["status"].(map[string]any)
		for _, c := range asList(st["conditions"]) {
			cm, _ := c.(map[string]any)
			if t := str(cm["type"]); t == "Denied" || t == "Failed" {
				return fmt.Errorf("CSR %s %s: %s", name, t, str(cm["message"]))
			}
		}
		if certPEM, _ = base64.StdEncoding.DecodeString(str(st["certificate"])); len(certPEM) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CSR %s was not signed within 5 minutes", name)
		}
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	pki := "/var/lib/kubelet/pki"
	_ = os.MkdirAll(pki, 0o755)
	file := "kubelet-client-" + time.Now().Format("2006-01-02-15-04-05") + ".pem"
	if err := os.WriteFile(filepath.Join(pki, file), append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...), 0o600); err != nil {
		return err
	}
	cur := filepath.Join(pki, "kubelet-client-current.pem")
	_ = os.Remove(cur)
	if err := os.Symlink(filepath.Join(pki, file), cur); err != nil {
		return err
	}
	kc := fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: %s
    client-key: %s
`, base64.StdEncoding.EncodeToString(bc.caData), bc.server, cur, cur)
	log.Printf("TLS bootstrap done: CSR %s signed, client certificate %s", name, file)
	return os.WriteFile(kcPath, []byte(kc), 0o600)
}

func asList(v any) []any { l, _ := v.([]any); return l }
