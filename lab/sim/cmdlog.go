package main

import (
	"os"
	"regexp"
	"strings"
	"time"
)

const commandLog = "/var/log/hakube-lab/commands.log"

// Bootstrap tokens (abcdef.0123456789abcdef) and certificate keys (64 hex) are secrets: mask them.
var (
	tokenRe   = regexp.MustCompile(`\b([a-z0-9]{6})\.[a-z0-9]{16}\b`)
	certKeyRe = regexp.MustCompile(`\b[a-f0-9]{64}\b`)
)

func maskSecrets(s string) string {
	s = tokenRe.ReplaceAllString(s, "$1.****************")
	// A 64-hex run after "sha256:" is a CA public-key pin, not a secret: keep it.
	var b strings.Builder
	last := 0
	for _, m := range certKeyRe.FindAllStringIndex(s, -1) {
		if m[0] >= 7 && s[m[0]-7:m[0]] == "sha256:" {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString("<certificate-key>")
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func logCommand(name string, args []string) {
	line := time.Now().UTC().Format(time.RFC3339Nano) + " " + maskSecrets(strings.Join(append([]string{name}, args...), " ")) + "\n"
	_ = os.MkdirAll("/var/log/hakube-lab", 0o755)
	f, err := os.OpenFile(commandLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line)
}
