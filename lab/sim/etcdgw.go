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
	"strconv"
	"strings"
	"time"
)

// etcdClient speaks etcd's v3 JSON gateway (served on every client URL by etcd 3.4), which keeps
// this binary free of gRPC and quick to build.
type etcdClient struct {
	endpoints []string
	http      *http.Client
	// health has the apiserver's --etcd-healthcheck-timeout (2 s): a cluster without quorum
	// must fail /healthz quickly, not hang it
	health *http.Client
}

type etcdKV struct {
	Key         string
	Value       []byte
	ModRevision int64
}

func newEtcdClient(endpoints []string, caFile, certFile, keyFile string) (*etcdClient, error) {
	cfg := &tls.Config{}
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(b)
		cfg.RootCAs = pool
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	tr := &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4}
	return &etcdClient{
		endpoints: endpoints,
		http:      &http.Client{Timeout: 5 * time.Second, Transport: tr},
		health:    &http.Client{Timeout: 2 * time.Second, Transport: tr},
	}, nil
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// call tries each endpoint in turn, like the real client's balancer.
func (c *etcdClient) call(path string, req any, resp any) error {
	return c.callWith(c.http, path, req, resp)
}

func (c *etcdClient) callWith(hc *http.Client, path string, req any, resp any) error {
	body, _ := json.Marshal(req)
	var lastErr error
	for _, ep := range c.endpoints {
		r, err := hc.Post(strings.TrimRight(ep, "/")+path, "application/json", bytes.NewReader(body))
		if err != nil {
			lastErr = err
			continue
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 {
			lastErr = fmt.Errorf("etcd %s: %s: %s", ep, r.Status, strings.TrimSpace(string(b)))
			if r.StatusCode >= 500 || r.StatusCode == 503 {
				continue
			}
			return lastErr
		}
		if resp != nil {
			return json.Unmarshal(b, resp)
		}
		return nil
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no etcd endpoints")
	}
	return lastErr
}

type rangeResp struct {
	Header struct {
		Revision string `json:"revision"`
	} `json:"header"`
	Kvs []struct {
		Key         string `json:"key"`
		Value       string `json:"value"`
		ModRevision string `json:"mod_revision"`
	} `json:"kvs"`
}

func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}

func (c *etcdClient) rangeKeys(key, end string) ([]etcdKV, int64, error) {
	req := map[string]any{"key": b64(key)}
	if end != "" {
		req["range_end"] = b64(end)
	}
	var r rangeResp
	if err := c.call("/v3/kv/range", req, &r); err != nil {
		return nil, 0, err
	}
	var out []etcdKV
	for _, kv := range r.Kvs {
		k, _ := base64.StdEncoding.DecodeString(kv.Key)
		v, _ := base64.StdEncoding.DecodeString(kv.Value)
		mr, _ := strconv.ParseInt(kv.ModRevision, 10, 64)
		out = append(out, etcdKV{Key: string(k), Value: v, ModRevision: mr})
	}
	rev, _ := strconv.ParseInt(r.Header.Revision, 10, 64)
	return out, rev, nil
}

func (c *etcdClient) get(key string) (*etcdKV, error) {
	kvs, _, err := c.rangeKeys(key, "")
	if err != nil || len(kvs) == 0 {
		return nil, err
	}
	return &kvs[0], nil
}

func (c *etcdClient) list(prefix string) ([]etcdKV, int64, error) {
	return c.rangeKeys(prefix, prefixEnd(prefix))
}

type revResp struct {
	Header struct {
		Revision string `json:"revision"`
	} `json:"header"`
	Succeeded bool `json:"succeeded"`
}

func (c *etcdClient) put(key string, val []byte) (int64, error) {
	var r revResp
	if err := c.call("/v3/kv/put", map[string]any{"key": b64(key), "value": base64.StdEncoding.EncodeToString(val)}, &r); err != nil {
		return 0, err
	}
	rev, _ := strconv.ParseInt(r.Header.Revision, 10, 64)
	return rev, nil
}

// create puts key only if it does not exist yet; false means it already did.
func (c *etcdClient) create(key string, val []byte) (bool, int64, error) {
	var r revResp
	req := map[string]any{
		"compare": []any{map[string]any{"key": b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}},
		"success": []any{map[string]any{"request_put": map[string]any{"key": b64(key), "value": base64.StdEncoding.EncodeToString(val)}}},
	}
	if err := c.call("/v3/kv/txn", req, &r); err != nil {
		return false, 0, err
	}
	rev, _ := strconv.ParseInt(r.Header.Revision, 10, 64)
	return r.Succeeded, rev, nil
}

func (c *etcdClient) del(key string) error {
	return c.call("/v3/kv/deleterange", map[string]any{"key": b64(key)}, nil)
}

type etcdMember struct {
	ID         string   `json:"ID"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
	IsLearner  bool     `json:"isLearner"`
}

func (c *etcdClient) members() ([]etcdMember, error) {
	var r struct {
		Members []etcdMember `json:"members"`
	}
	err := c.call("/v3/cluster/member/list", map[string]any{}, &r)
	return r.Members, err
}

func (c *etcdClient) removeMember(id string) error {
	return c.call("/v3/cluster/member/remove", map[string]any{"ID": id}, nil)
}

// healthy is a linearizable read, so it fails without quorum, like the apiserver's etcd check.
func (c *etcdClient) healthy() error {
	return c.callWith(c.health, "/v3/kv/range", map[string]any{"key": b64("health")}, nil)
}
