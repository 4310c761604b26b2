package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Unit state lives in the host's own /run (gone on a host restart, like a real boot) and
// enablement in its /etc, where systemd keeps it.
const unitRunDir = "/run/labkube/units"

func systemctlMain(args []string) int {
	var verbs []string
	now := false
	quiet := false
	for _, a := range args {
		switch {
		case a == "--now":
			now = true
		case a == "-q" || a == "--quiet":
			quiet = true
		case strings.HasPrefix(a, "-"):
			// --no-pager, --no-block, -l, --full ...: accepted, nothing to do
		default:
			verbs = append(verbs, a)
		}
	}
	if len(verbs) == 0 {
		fmt.Println("labkube systemctl: list-units is not simulated")
		return 0
	}
	verb, names := verbs[0], verbs[1:]
	switch verb {
	case "daemon-reload", "daemon-reexec", "reset-failed":
		return 0
	}
	rc := 0
	for _, n := range names {
		n = normUnit(n)
		var r int
		switch verb {
		case "start":
			r = unitStart(n)
		case "stop":
			r = unitStop(n)
		case "restart", "force-reload":
			unitStop(n)
			r = unitStart(n)
		case "reload", "reload-or-restart", "try-restart", "try-reload-or-restart":
			if verb == "try-restart" && !unitActive(n) {
				continue
			}
			if u, ok := loadUnit(n); ok && strings.HasPrefix(verb, "reload") && u.get("ExecReload") != "" && unitActive(n) {
				r = runExecLines(u, u.list("ExecReload"))
			} else {
				unitStop(n)
				r = unitStart(n)
			}
		case "enable":
			r = unitEnable(n, true)
			if r == 0 && now {
				r = unitStart(n)
			}
		case "disable":
			r = unitEnable(n, false)
			if r == 0 && now {
				r = unitStop(n)
			}
		case "mask":
			_ = os.MkdirAll("/etc/systemd/system", 0o755)
			_ = os.Remove(filepath.Join("/etc/systemd/system", n))
			if err := os.Symlink("/dev/null", filepath.Join("/etc/systemd/system", n)); err != nil {
				r = 1
			}
		case "unmask":
			p := filepath.Join("/etc/systemd/system", n)
			if t, err := os.Readlink(p); err == nil && t == "/dev/null" {
				_ = os.Remove(p)
			}
		case "is-active":
			s := unitActiveState(n)
			if !quiet {
				fmt.Println(s)
			}
			if s != "active" {
				r = 3
			}
		case "is-enabled":
			s := unitEnabledState(n)
			if !quiet {
				fmt.Println(s)
			}
			if s != "enabled" && s != "static" {
				r = 1
			}
		case "is-failed":
			s := unitActiveState(n)
			if !quiet {
				fmt.Println(s)
			}
			if s != "failed" {
				r = 1
			}
		case "status":
			r = unitStatus(n)
		case "kill":
			if pid := unitPid(n); pid > 0 {
				_ = syscall.Kill(-pid, syscall.SIGTERM)
			}
		default:
			fmt.Fprintf(os.Stderr, "labkube systemctl: verb %q is not simulated\n", verb)
			return 1
		}
		if r != 0 {
			rc = r
		}
	}
	return rc
}

func unitFile(name, suffix string) string { return filepath.Join(unitRunDir, name+suffix) }

func unitPid(name string) int {
	b, err := os.ReadFile(unitFile(name, ".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// state is the field after the ")" closing the command name; Z is a zombie
	s := string(b)
	i := strings.LastIndex(s, ")")
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func unitActive(name string) bool { return unitActiveState(name) == "active" }

func unitActiveState(name string) string {
	if _, err := os.Stat(unitFile(name, ".remain")); err == nil {
		return "active"
	}
	if pidAlive(unitPid(name)) {
		return "active"
	}
	if _, err := os.Stat(unitFile(name, ".started")); err == nil {
		// It was started and its process is gone: systemd shows a crash-looping Restart=always
		// unit as activating, others as failed.
		if u, ok := loadUnit(name); ok && (u.get("Restart") == "always" || u.get("Restart") == "on-failure") {
			return "activating"
		}
		return "failed"
	}
	return "inactive"
}

func wantsLinks(name string) []string {
	m, _ := filepath.Glob(filepath.Join("/etc/systemd/system", "*.wants", name))
	return m
}

func unitEnabledState(name string) string {
	u, ok := loadUnit(name)
	if !ok {
		return "not-found"
	}
	if u.masked {
		return "masked"
	}
	if len(wantsLinks(name)) > 0 {
		return "enabled"
	}
	if len(u.wantedBy) == 0 {
		return "static"
	}
	return "disabled"
}

func unitEnable(name string, on bool) int {
	u, ok := loadUnit(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "Failed to %s unit: Unit file %s does not exist.\n", map[bool]string{true: "enable", false: "disable"}[on], name)
		return 1
	}
	if !on {
		for _, l := range wantsLinks(name) {
			fmt.Fprintf(os.Stderr, "Removed \"%s\".\n", l)
			_ = os.Remove(l)
		}
		return 0
	}
	targets := u.wantedBy
	if len(targets) == 0 {
		return 0
	}
	for _, t := range targets {
		dir := filepath.Join("/etc/systemd/system", t+".wants")
		_ = os.MkdirAll(dir, 0o755)
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(u.path, link); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "Created symlink %s → %s.\n", link, u.path)
	}
	return 0
}

// resolveExe maps a unit's absolute binary path to the lab's copy when the path is absent, so a
// packaged unit naming /usr/bin/kubelet runs the simulator installed in /usr/local/bin.
func resolveExe(p string) string {
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if lp, err := exec.LookPath(filepath.Base(p)); err == nil {
		return lp
	}
	return p
}

func execPrefix(line string) (string, bool) {
	ignore := false
	for len(line) > 0 && strings.ContainsRune("-@+!:", rune(line[0])) {
		if line[0] == '-' {
			ignore = true
		}
		line = line[1:]
	}
	return line, ignore
}

func commandFor(u *unit, line string) (*exec.Cmd, bool) {
	line, ignore := execPrefix(line)
	env := unitEnv(u)
	argv := expandCommand(line, env)
	if len(argv) == 0 {
		return nil, ignore
	}
	cmd := exec.Command(resolveExe(argv[0]), argv[1:]...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if wd := u.get("WorkingDirectory"); wd != "" {
		cmd.Dir = strings.TrimPrefix(wd, "-")
	}
	return cmd, ignore
}

func unitLog(name string) *os.File {
	_ = os.MkdirAll("/var/log/labkube", 0o755)
	f, err := os.OpenFile(filepath.Join("/var/log/labkube", name+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil
	}
	return f
}

func runExecLines(u *unit, lines []string) int {
	for _, l := range lines {
		cmd, ignore := commandFor(u, l)
		if cmd == nil {
			continue
		}
		if lf := unitLog(u.name); lf != nil {
			cmd.Stdout, cmd.Stderr = lf, lf
			defer lf.Close()
		}
		if err := cmd.Run(); err != nil && !ignore {
			return 1
		}
	}
	return 0
}

func unitStart(name string) int {
	u, ok := loadUnit(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "Failed to start %s: Unit %s not found.\n", name, name)
		return 5
	}
	if u.masked {
		fmt.Fprintf(os.Stderr, "Failed to start %s: Unit %s is masked.\n", name, name)
		return 1
	}
	if unitActive(name) {
		return 0
	}
	_ = os.MkdirAll(unitRunDir, 0o755)
	_ = os.Remove(unitFile(name, ".remain"))
	fail := func() int {
		_ = os.WriteFile(unitFile(name, ".started"), nil, 0o644)
		fmt.Fprintf(os.Stderr, "Job for %s failed because the control process exited with error code.\nSee \"systemctl status %s\" and \"journalctl -xeu %s\" for details.\n", name, name, name)
		return 1
	}
	if runExecLines(u, u.list("ExecStartPre")) != 0 {
		return fail()
	}
	typ := u.get("Type")
	starts := u.list("ExecStart")
	switch typ {
	case "oneshot":
		if runExecLines(u, starts) != 0 {
			return fail()
		}
		if u.get("RemainAfterExit") == "yes" || u.get("RemainAfterExit") == "true" {
			_ = os.WriteFile(unitFile(name, ".remain"), nil, 0o644)
		}
	case "forking":
		if runExecLines(u, starts) != 0 {
			return fail()
		}
		pid := 0
		if pf := u.get("PIDFile"); pf != "" {
			for i := 0; i < 50 && pid == 0; i++ {
				if b, err := os.ReadFile(pf); err == nil {
					pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				}
				if pid == 0 {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
		if pid == 0 {
			return fail()
		}
		_ = os.WriteFile(unitFile(name, ".pid"), []byte(strconv.Itoa(pid)), 0o644)
	default:
		if len(starts) == 0 {
			return fail()
		}
		cmd, _ := commandFor(u, starts[0])
		if cmd == nil {
			return fail()
		}
		lf := unitLog(name)
		if lf != nil {
			cmd.Stdout, cmd.Stderr = lf, lf
		}
		devnull, _ := os.Open(os.DevNull)
		cmd.Stdin = devnull
		// Its own session: it outlives this command and the SSH session that ran it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return fail()
		}
		_ = os.WriteFile(unitFile(name, ".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
		_ = cmd.Process.Release()
		if runExecLines(u, u.list("ExecStartPost")) != 0 {
			return fail()
		}
	}
	_ = os.WriteFile(unitFile(name, ".started"), []byte(time.Now().UTC().Format(time.RFC3339)), 0o644)
	return 0
}

func unitStop(name string) int {
	u, ok := loadUnit(name)
	if !ok {
		if _, err := os.Stat(unitFile(name, ".pid")); err != nil {
			fmt.Fprintf(os.Stderr, "Failed to stop %s: Unit %s not loaded.\n", name, name)
			return 5
		}
	}
	_ = os.Remove(unitFile(name, ".remain"))
	pid := unitPid(name)
	if ok && len(u.list("ExecStop")) > 0 && pidAlive(pid) {
		runExecLines(u, u.list("ExecStop"))
	}
	if pidAlive(pid) {
		// A setsid'd process leads its own group: signal the group so children go too.
		if syscall.Kill(-pid, syscall.SIGTERM) != nil {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
		for i := 0; i < 100 && pidAlive(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if pidAlive(pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_ = os.Remove(unitFile(name, ".pid"))
	_ = os.Remove(unitFile(name, ".started"))
	return 0
}

func unitStatus(name string) int {
	u, ok := loadUnit(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "Unit %s could not be found.\n", name)
		return 4
	}
	desc := u.desc
	if desc == "" {
		desc = name
	}
	state := unitActiveState(name)
	fmt.Printf("● %s - %s\n", name, desc)
	if u.masked {
		fmt.Printf("     Loaded: masked (Reason: Unit %s is masked.)\n", name)
	} else {
		fmt.Printf("     Loaded: loaded (%s; %s; preset: enabled)\n", u.path, unitEnabledState(name))
	}
	if len(u.dropIns) > 0 {
		fmt.Printf("    Drop-In: %s\n", filepath.Dir(u.dropIns[0]))
		for _, d := range u.dropIns {
			fmt.Printf("             └─%s\n", filepath.Base(d))
		}
	}
	since := ""
	if b, err := os.ReadFile(unitFile(name, ".started")); err == nil {
		since = " since " + string(b)
	}
	sub := map[string]string{"active": "running", "inactive": "dead", "failed": "failed", "activating": "auto-restart"}[state]
	if state == "active" && unitPid(name) == 0 {
		sub = "exited"
	}
	fmt.Printf("     Active: %s (%s)%s\n", state, sub, since)
	if pid := unitPid(name); pidAlive(pid) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		fmt.Printf("   Main PID: %d (%s)\n", pid, strings.TrimSpace(string(comm)))
	}
	if state == "active" {
		return 0
	}
	return 3
}

// labBootMain is what the lab runs after a host's sshd comes up: start what is enabled, as boot would.
//
// A lab host's /etc starts as an overlay of the machine's, which has the lab's own daemons (etcd,
// haproxy, nginx, keepalived...) enabled: on its first boot a host drops those inherited links so
// it starts like a fresh VM, where only what a runbook enables runs.
func labBootMain(args []string) int {
	const preset = "/etc/labkube/preset-done"
	if !exists(preset) {
		links, _ := filepath.Glob("/etc/systemd/system/*.wants/*.service")
		for _, l := range links {
			if filepath.Base(l) != "ssh.service" {
				_ = os.Remove(l)
			}
		}
		_ = os.MkdirAll(filepath.Dir(preset), 0o755)
		_ = os.WriteFile(preset, nil, 0o644)
	}
	// swap listed in fstab comes on at boot, as on a real machine
	if devs := fstabSwaps(); len(devs) > 0 {
		setSwap(devs)
	}
	links, _ := filepath.Glob("/etc/systemd/system/*.wants/*")
	seen := map[string]bool{}
	for _, l := range links {
		n := filepath.Base(l)
		if seen[n] || !strings.Contains(n, ".") || n == "ssh.service" {
			continue
		}
		seen[n] = true
		if strings.HasSuffix(n, ".service") {
			unitStart(n)
		}
	}
	return 0
}
