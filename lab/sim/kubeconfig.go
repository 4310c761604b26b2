package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeClient is the little REST client the kubelet and kubectl simulators share; it reads the
// same kubeconfig files kubeadm writes.
type kubeClient struct {
	server string
	token  string
	http   *http.Client
	caData []byte
}

type kubeconfig struct {
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server   string `yaml:"server"`
			CAData   string `yaml:"certificate-authority-data"`
			CAFile   string `yaml:"certificate-authority"`
			Insecure bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			CertData string `yaml:"client-certificate-data"`
			KeyData  string `yaml:"client-key-data"`
			CertFile string `yaml:"client-certificate"`
			KeyFile  string `yaml:"client-key"`
			Token    string `yaml:"token"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Current string `yaml:"current-context"`
}

func fileOrData(data, file string) ([]byte, error) {
	if data != "" {
		return base64.StdEncoding.DecodeString(data)
	}
	if file != "" {
		return os.ReadFile(file)
	}
	return nil, nil
}

func loadKubeconfig(path string) (*kubeClient, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	ctxCluster, ctxUser := "", ""
	for _, c := range kc.Contexts {
		if c.Name == kc.Current || kc.Current == "" {
			ctxCluster, ctxUser = c.Context.Cluster, c.Context.User
			break
		}
	}
	cfg := &tls.Config{}
	c := &kubeClient{}
	for _, cl := range kc.Clusters {
		if cl.Name != ctxCluster && ctxCluster != "" {
			continue
		}
		c.server = strings.TrimRight(cl.Cluster.Server, "/")
		ca, err := fileOrData(cl.Cluster.CAData, cl.Cluster.CAFile)
		if err != nil {
			return nil, err
		}
		if len(ca) > 0 {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(ca)
			cfg.RootCAs = pool
			c.caData = ca
		}
		cfg.InsecureSkipVerify = cl.Cluster.Insecure
		break
	}
	for _, u := range kc.Users {
		if u.Name != ctxUser && ctxUser != "" {
			continue
		}
		c.token = u.User.Token
		cert, err := fileOrData(u.User.CertData, u.User.CertFile)
		if err != nil {
			return nil, err
		}
		key, err := fileOrData(u.User.KeyData, u.User.KeyFile)
		if err != nil {
			return nil, err
		}
		if len(cert) > 0 {
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				return nil, err
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		break
	}
	if c.server == "" {
		return nil, fmt.Errorf("%s: no server", path)
	}
	c.http = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}}
	return c, nil
}

type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func isNotFound(err error) bool {
	ae, ok := err.(*apiError)
	return ok && ae.code == 404
}

func isConflict(err error) bool {
	ae, ok := err.(*apiError)
	return ok && ae.code == 409
}

func (c *kubeClient) do(method, path string, body any, out any) error {
	ct := "application/json"
	if method == "PATCH" {
		ct = "application/merge-patch+json"
	}
	return c.doType(method, path, ct, body, out)
}

func (c *kubeClient) doType(method, path, ct string, body any, out any) error {
	resp, err := c.send(c.http, method, path, ct, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// send makes one request; an answer of 300 or above comes back as an *apiError.
func (c *kubeClient) send(hc *http.Client, method, path, ct string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var st struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &st)
		if st.Message == "" {
			st.Message = strings.TrimSpace(string(b))
		}
		return nil, &apiError{code: resp.StatusCode, msg: st.Message}
	}
	return resp, nil
}

// stream is a request without the client's timeout, for watches.
func (c *kubeClient) stream(path string) (*http.Response, error) {
	hc := &http.Client{Transport: c.http.Transport}
	return c.send(hc, "GET", path, "application/json", nil)
}

func nsPath(group, version, ns, resource string) string {
	p := "/api/" + version
	if group != "" {
		p = "/apis/" + group + "/" + version
	}
	if ns != "" {
		p += "/namespaces/" + ns
	}
	return p + "/" + resource
}
