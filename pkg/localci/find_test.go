package localci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a getenv over a fixed environment: the tests read nothing of the
// process's, so they run in parallel.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// executable writes an executable file at dir/name and returns its path.
func executable(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLookupInEnv: $SUPPORTMATRIX_GITLAB_CI_LOCAL, as getenv gives it,
// wins, and a variable that names no executable is an error, not a search
// elsewhere.
func TestLookupInEnv(t *testing.T) {
	t.Parallel()
	bin := executable(t, t.TempDir(), "gcl")
	got, err := LookupIn(env(map[string]string{EnvBinary: bin}), t.TempDir())
	if err != nil || got != bin {
		t.Errorf("LookupIn with %s=%s: %q, %v", EnvBinary, bin, got, err)
	}
	missing := filepath.Join(t.TempDir(), "none")
	if _, err := LookupIn(env(map[string]string{EnvBinary: missing}), t.TempDir()); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("LookupIn with %s=%s: %v, want not an executable", EnvBinary, missing, err)
	}
}

// TestLookPath: the PATH getenv gives is searched in order; relative
// entries and files that are not executable are passed over.
func TestLookPath(t *testing.T) {
	t.Parallel()
	first, second := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(first, "gitlab-ci-local"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := executable(t, second, "gitlab-ci-local")
	path := strings.Join([]string{"", ".", "rel", first, second}, string(os.PathListSeparator))
	if got, ok := lookPath(env(map[string]string{"PATH": path}), "gitlab-ci-local"); !ok || got != want {
		t.Errorf("lookPath in %s: %q, %v; want %q", path, got, ok, want)
	}
	if got, ok := lookPath(env(nil), "gitlab-ci-local"); ok {
		t.Errorf("lookPath without PATH found %q", got)
	}
}
