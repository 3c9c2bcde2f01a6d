package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{name: "nothing recorded", want: Info{"devel", "unknown", "unknown"}},
		{name: "link-time values win", version: "v1.2.3", commit: "abc", date: "2026-11-30T09:00:00Z",
			bi:   &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: vcs("vcs.revision", "def", "vcs.time", "2020-01-01T00:00:00Z")},
			want: Info{"v1.2.3", "abc", "2026-11-30T09:00:00Z"}},
		{name: "go install module@version", bi: &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			want: Info{"v1.4.0", "unknown", "unknown"}},
		{name: "go build in a dirty work tree", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "0123", "vcs.time", "2026-11-29T10:00:00Z", "vcs.modified", "true")},
			want: Info{"devel", "0123-dirty", "2026-11-29T10:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.version, tt.commit, tt.date, tt.bi); got != tt.want {
				t.Fatalf("resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	got := Info{"v1.2.3", "abc", "2026-11-30T09:00:00Z"}.String()
	if want := "v1.2.3 (commit abc, 2026-11-30T09:00:00Z)"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

// TestLinkTimeValues builds the real command with the -X flags release builds
// use and runs --version: -X silently ignores a name that does not exist, so
// this is what proves Package and the variable names are right.
func TestLinkTimeValues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "supportmatrix")
	ldflags := strings.Join([]string{
		"-X " + Package + ".version=v0.0.0-test",
		"-X " + Package + ".commit=feedface",
		"-X " + Package + ".date=2026-11-30T09:00:00Z",
	}, " ")
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "gitlab.com/supportmatrix/supportmatrix/cmd/supportmatrix")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("supportmatrix --version: %v\n%s", err, out)
	}
	if got, want := string(out), "supportmatrix version v0.0.0-test (commit feedface, 2026-11-30T09:00:00Z)\n"; got != want {
		t.Fatalf("--version printed %q, want %q", got, want)
	}
}
