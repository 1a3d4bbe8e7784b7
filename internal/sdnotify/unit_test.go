package sdnotify

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// unitPath is the systemd unit this package's protocol is written for.
const unitPath = "../../configs/sightline.service"

// unitFile is a parsed unit: section → key → values in file order.
type unitFile map[string]map[string][]string

// parseUnit reads the subset of the unit file syntax the shipped unit uses:
// [Section] headers, Key=Value lines, '#' and ';' comments. A line
// continuation is an error, so the test never misreads one.
func parseUnit(tb testing.TB, path string) unitFile {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case strings.HasSuffix(line, `\`):
			tb.Fatalf("%s:%d: line continuation not supported here", path, n)
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			if u[section] != nil {
				tb.Fatalf("%s:%d: section [%s] twice", path, n, section)
			}
			u[section] = map[string][]string{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			tb.Fatalf("%s:%d: want Key=Value inside a section: %q", path, n, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		u[section][key] = append(u[section][key], value)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return u
}

// get returns the single value of section.key, failing if it is missing or
// set more than once.
func (u unitFile) get(tb testing.TB, section, key string) string {
	tb.Helper()
	v, ok := u[section][key]
	if !ok {
		tb.Fatalf("[%s] %s missing", section, key)
	}
	if len(v) != 1 {
		tb.Fatalf("[%s] %s set %d times: %q", section, key, len(v), v)
	}
	return v[0]
}

// seconds parses a systemd time span of the forms the unit uses: "30"
// (seconds) or a Go-style duration such as "45s".
func seconds(tb testing.TB, s string) time.Duration {
	tb.Helper()
	if strings.Trim(s, "0123456789") == "" {
		s += "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		tb.Fatalf("time span %q: %v", s, err)
	}
	return d
}

func TestUnitFile(t *testing.T) {
	u := parseUnit(t, unitPath)

	want := []struct{ section, key, value string }{
		{"Unit", "Wants", "network-online.target"},
		{"Unit", "After", "network-online.target"},

		{"Service", "Type", "notify"},
		{"Service", "NotifyAccess", "main"},
		{"Service", "ExecStart", "/usr/bin/sightline run -config /etc/sightline/sightline.toml"},
		{"Service", "Restart", "on-failure"},
		{"Service", "WatchdogSec", "30"},
		{"Service", "KillMode", "mixed"},
		{"Service", "User", "sightline"},
		{"Service", "Group", "sightline"},
		{"Service", "StateDirectory", "sightline"},
		{"Service", "StateDirectoryMode", "0750"},
		{"Service", "ConfigurationDirectory", "sightline"},
		{"Service", "LimitNOFILE", "65536"},

		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "read-only"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "PrivateDevices", "yes"},
		{"Service", "ProtectKernelTunables", "yes"},
		{"Service", "ProtectKernelModules", "yes"},
		{"Service", "ProtectKernelLogs", "yes"},
		{"Service", "ProtectControlGroups", "yes"},
		{"Service", "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
		{"Service", "RestrictNamespaces", "yes"},
		{"Service", "RestrictRealtime", "yes"},
		{"Service", "LockPersonality", "yes"},
		{"Service", "MemoryDenyWriteExecute", "yes"},
		{"Service", "SystemCallArchitectures", "native"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "AmbientCapabilities", ""},

		{"Install", "WantedBy", "multi-user.target"},
	}
	for _, w := range want {
		if got := u.get(t, w.section, w.key); got != w.value {
			t.Errorf("[%s] %s=%q, want %q", w.section, w.key, got, w.value)
		}
	}

	// Plugins' state must keep its owner across restarts.
	if v, ok := u["Service"]["DynamicUser"]; ok {
		t.Errorf("DynamicUser=%q: state needs a real user", v)
	}
	if got := u.get(t, "Service", "RestartSec"); seconds(t, got) <= 0 {
		t.Errorf("RestartSec=%s, want a pause between restarts", got)
	}
	// The runner's shutdown: inputs, then analysis and outputs, each with a
	// 10 s stop timeout and 2 s for abandoned plugins, then the final sync.
	const shutdown = 2 * (10 + 2) * time.Second
	if got := seconds(t, u.get(t, "Service", "TimeoutStopSec")); got <= shutdown {
		t.Errorf("TimeoutStopSec=%v, want more than the daemon's %v shutdown", got, shutdown)
	}
}

// systemd's own checker, where it is installed. ExecStart must name an
// executable that exists, so a copy points it at the test binary.
func TestUnitFileVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	const exec0 = "ExecStart=/usr/bin/sightline "
	if !strings.Contains(string(data), exec0) {
		t.Fatalf("%s has no %q line", unitPath, exec0)
	}
	copyPath := filepath.Join(t.TempDir(), "sightline.service")
	unit := strings.Replace(string(data), exec0, "ExecStart="+self+" ", 1)
	if err := os.WriteFile(copyPath, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, "verify", copyPath).CombinedOutput()
	// Complaints about the units it pulls in (network-online.target...)
	// belong to the host; only those about this unit count.
	if err != nil || strings.Contains(string(out), "sightline.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	} else if len(out) > 0 {
		t.Logf("systemd-analyze verify:\n%s", out)
	}
}
