package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"crypto/x509/pkix"
)

// What a real control plane's controllers do in the background (token cleaner, garbage collector,
// bootstrap signer, node lifecycle, CSR approver and signer), done here when objects are read or
// created: no background loops, so an idle cluster costs nothing.

type bootToken struct {
	id, secret string
	expires    time.Time
	signing    bool
	groups     []string
}

func (t *bootToken) valid() bool { return t.expires.IsZero() || time.Now().Before(t.expires) }

func secretData(o obj, k string) string {
	d, _ := o["data"].(map[string]any)
	v, _ := base64.StdEncoding.DecodeString(str(d[k]))
	return string(v)
}

func tokenFromSecret(o obj) *bootToken {
	if str(o["type"]) != "bootstrap.kubernetes.io/token" {
		return nil
	}
	t := &bootToken{id: secretData(o, "token-id"), secret: secretData(o, "token-secret"),
		signing: secretData(o, "usage-bootstrap-signing") == "true"}
	if e := secretData(o, "expiration"); e != "" {
		t.expires, _ = time.Parse(time.RFC3339, e)
		if t.expires.IsZero() {
			t.expires = time.Unix(1, 0)
		}
	}
	if g := secretData(o, "auth-extra-groups"); g != "" {
		t.groups = strings.Split(g, ",")
	}
	return t
}

func (s *apiServer) bootstrapToken(id string) *bootToken {
	kv, err := s.etcd.get(s.prefix + "/core/secrets/kube-system/bootstrap-token-" + id)
	if err != nil || kv == nil {
		return nil
	}
	var o obj
	if json.Unmarshal(kv.Value, &o) != nil {
		return nil
	}
	return tokenFromSecret(o)
}

// reap deletes what the token cleaner and the garbage collector would have deleted by now and
// reports whether o is gone.
func (s *apiServer) reap(ref resRef, o obj) bool {
	if ref.resource != "secrets" || ref.group != "" {
		return false
	}
	gone := false
	if t := tokenFromSecret(o); t != nil && !t.valid() {
		gone = true
	}
	if !gone {
		refs, _ := meta(o)["ownerReferences"].([]any)
		for _, r := range refs {
			rm, _ := r.(map[string]any)
			if str(rm["kind"]) != "Secret" {
				continue
			}
			kv, err := s.etcd.get(s.prefix + "/core/secrets/" + ref.ns + "/" + str(rm["name"]))
			if err != nil {
				return false
			}
			var owner obj
			if kv == nil || json.Unmarshal(kv.Value, &owner) != nil || str(meta(owner)["uid"]) != str(rm["uid"]) {
				gone = true
				break
			}
			if t := tokenFromSecret(owner); t != nil && !t.valid() {
				gone = true
				break
			}
		}
	}
	if gone {
		_ = s.etcd.del(s.keyPrefix(ref) + ref.name)
	}
	return gone
}

func (s *apiServer) controllersOnRead(ref resRef, o obj) {
	switch {
	case ref.resource == "configmaps" && ref.ns == "kube-public" && ref.name == "cluster-info":
		s.signClusterInfo(o)
	case ref.resource == "nodes":
		nodeLifecycle(o)
	case ref.resource == "deployments" && ref.group == "apps":
		s.deploymentStatus(o, s.nodeViews())
	}
}

// signClusterInfo adds a detached JWS of the kubeconfig for every live signing token, exactly as
// the bootstrap signer does (HS256, kid = token id), so the real kubeadm's discovery accepts it.
func (s *apiServer) signClusterInfo(o obj) {
	data, _ := o["data"].(map[string]any)
	if data == nil {
		return
	}
	for k := range data {
		if strings.HasPrefix(k, "jws-kubeconfig-") {
			delete(data, k)
		}
	}
	content := str(data["kubeconfig"])
	kvs, _, err := s.etcd.list(s.prefix + "/core/secrets/kube-system/bootstrap-token-")
	if err != nil {
		return
	}
	for _, kv := range kvs {
		var so obj
		if json.Unmarshal(kv.Value, &so) != nil {
			continue
		}
		t := tokenFromSecret(so)
		if t == nil || !t.valid() || !t.signing {
			continue
		}
		data["jws-kubeconfig-"+t.id] = detachedJWS(content, t.id, t.secret)
	}
}

func detachedJWS(content, id, secret string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","kid":"` + id + `"}`))
	payload := enc.EncodeToString([]byte(content))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(header + "." + payload))
	return header + ".." + enc.EncodeToString(mac.Sum(nil))
}

// nodeGrace is the node lifecycle controller's default: a kubelet silent this long is Unknown.
const nodeGrace = 40 * time.Second

func nodeLifecycle(o obj) {
	st, _ := o["status"].(map[string]any)
	conds, _ := st["conditions"].([]any)
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if str(cm["type"]) != "Ready" {
			continue
		}
		hb, err := time.Parse(time.RFC3339, str(cm["lastHeartbeatTime"]))
		if err == nil && time.Since(hb) > nodeGrace {
			cm["status"] = "Unknown"
			cm["reason"] = "NodeStatusUnknown"
			cm["message"] = "Kubelet stopped posting node status."
		}
	}
}

// signCSR approves and signs a kubelet's client CSR with the cluster CA, as the CSR approver and
// signer in kube-controller-manager do for bootstrap tokens and nodes.
func (s *apiServer) signCSR(o obj, u *user) {
	spec, _ := o["spec"].(map[string]any)
	if spec == nil || u == nil {
		return
	}
	spec["username"] = u.name
	spec["groups"] = u.groups
	req, _ := base64.StdEncoding.DecodeString(str(spec["request"]))
	blk, _ := pem.Decode(req)
	if blk == nil {
		return
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		return
	}
	dir := filepath.Dir(s.caFile)
	caCert, caKey, err := loadCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
	if err != nil {
		return
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: csr.Subject.CommonName, Organization: csr.Subject.Organization},
		NotBefore:    time.Now().Add(-5 * time.Minute),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, csr.PublicKey, caKey)
	if err != nil {
		return
	}
	now := time.Now().UTC().Format(time.RFC3339)
	o["status"] = obj{
		"conditions": []any{obj{"type": "Approved", "status": "True", "reason": "AutoApproved",
			"message": "Auto approving kubelet client certificate after SubjectAccessReview.", "lastUpdateTime": now, "lastTransitionTime": now}},
		"certificate": base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}
}

func loadCA(certFile, keyFile string) (*x509.Certificate, any, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	cblk, _ := pem.Decode(cb)
	kblk, _ := pem.Decode(kb)
	if cblk == nil || kblk == nil {
		return nil, nil, os.ErrInvalid
	}
	cert, err := x509.ParseCertificate(cblk.Bytes)
	if err != nil {
		return nil, nil, err
	}
	var key any
	switch kblk.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(kblk.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(kblk.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(kblk.Bytes)
	}
	return cert, key, err
}

func randString(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func newUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
