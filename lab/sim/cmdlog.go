package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Every simulator call is appended to the host's command log in the lab shim's format
// ("time<TAB>run<TAB>argv"), so e2e tests can tell whether a step ran twice. When the lab has a
// fault shim for this command on /usr/local/sbin, the shim has already logged the call.
const commandLog = "/var/log/hakube-lab/commands.log"

var (
	secretFlagRe = regexp.MustCompile(`(?i)^--?[\w-]*(token|key|password|secret)[\w-]*$`)
	secretEqRe   = regexp.MustCompile(`(?i)^(--?[^=]*(token|key|password|secret)[^=]*)=`)
	tokenRe      = regexp.MustCompile(`\b([a-z0-9]{6})\.[a-z0-9]{16}\b`)
	certKeyRe    = regexp.MustCompile(`\b[a-f0-9]{64}\b`)
	notSecretRe  = regexp.MustCompile(`(?i)skip|unsafe|print`)
)

// maskArgv hides secret flag values the way the lab shim does, and any bootstrap token or
// certificate key appearing elsewhere.
func maskArgv(words []string) []string {
	out := make([]string, 0, len(words))
	mask := false
	for _, w := range words {
		switch {
		case mask:
			out = append(out, "***")
			mask = false
			continue
		case secretEqRe.MatchString(w):
			out = append(out, secretEqRe.FindStringSubmatch(w)[1]+"=***")
			continue
		case secretFlagRe.MatchString(w) && !notSecretRe.MatchString(w):
			mask = true
		}
		out = append(out, maskSecrets(w))
	}
	return out
}

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
		b.WriteString("***")
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func logCommand(name string, args []string) {
	if st, err := os.Stat(filepath.Join("/usr/local/sbin", name)); err == nil && st.Mode()&0o111 != 0 {
		return
	}
	line := time.Now().UTC().Format("2006-01-02T15:04:05Z") + "\trun\t" + strings.Join(maskArgv(append([]string{name}, args...)), " ") + "\n"
	_ = os.MkdirAll("/var/log/hakube-lab", 0o755)
	f, err := os.OpenFile(commandLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line)
}
