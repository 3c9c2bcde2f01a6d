// Package localcitest gives tests the gitlab-ci-local executable, or skips
// them: the one place that decides when a test that runs gitlab-ci-local
// runs. With -short it is skipped (the fast loop); without the tool it is
// skipped too, unless SUPPORTMATRIX_REQUIRE_TOOLS=1 (CI), where a missing
// tool fails the test instead of passing it by running nothing.
package localcitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
)

// Binary returns the gitlab-ci-local executable (localci.LookupIn, in the
// test process's environment) after checking that rsync, which it needs, is
// in Env's PATH too.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running gitlab-ci-local")
	}
	bin, err := localci.LookupIn(os.Getenv, "")
	if err == nil {
		err = localci.CheckRsync(Env())
	}
	if err != nil {
		if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
			t.Fatalf("gitlab-ci-local and rsync are required (SUPPORTMATRIX_REQUIRE_TOOLS=1): %v", err)
		}
		t.Skipf("gitlab-ci-local not available: %v", err)
	}
	return bin
}

// Supportmatrix builds the supportmatrix command into a new directory, to
// put first on the jobs' PATH (Env), and returns the directory.
func Supportmatrix(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "supportmatrix"), "gitlab.com/supportmatrix/supportmatrix/cmd/supportmatrix")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// Env is the test process's environment, read and never changed, with
// binDirs first on PATH and no token or supportmatrix setting of the
// developer's: the environment gitlab-ci-local and its jobs run with in
// tests (localci.Options.Env, Validate, Preview).
func Env(binDirs ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			kv = "PATH=" + strings.Join(slices.Concat(binDirs, []string{strings.TrimPrefix(kv, "PATH=")}), string(os.PathListSeparator))
		case slices.Contains(ci.TokenVariables, k) || strings.HasPrefix(k, "SUPPORTMATRIX_"):
			continue
		}
		env = append(env, kv)
	}
	return env
}
