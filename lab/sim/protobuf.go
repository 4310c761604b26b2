package main

import (
	"encoding/json"
	"fmt"

	"k8s.io/client-go/kubernetes/scheme"
)

// client-go (and so the real kubeadm) sends built-in types as protobuf. The stand-in stores JSON,
// so request bodies are decoded with the real scheme and re-encoded as JSON; responses are JSON,
// which client-go accepts.
func protobufToJSON(body []byte) (map[string]any, error) {
	o, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decoding protobuf body: %v", err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}
