// Package localcitest gives tests the gitlab-ci-local executable, or skips
// them: the one place that decides when a test that runs gitlab-ci-local
// runs. With -short it is skipped (the fast loop); without the tool it is
// skipped too, unless SUPPORTMATRIX_REQUIRE_TOOLS=1 (CI), where a missing
// tool fails the test instead of passing it by running nothing.
package localcitest

import (
	"os"
	"os/exec"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
)

// Binary returns the gitlab-ci-local executable (localci.Lookup) after
// checking that rsync, which it needs, is there too.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running gitlab-ci-local")
	}
	bin, err := localci.Lookup()
	if err == nil {
		_, err = exec.LookPath("rsync")
	}
	if err != nil {
		if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
			t.Fatalf("gitlab-ci-local and rsync are required (SUPPORTMATRIX_REQUIRE_TOOLS=1): %v", err)
		}
		t.Skipf("gitlab-ci-local not available: %v", err)
	}
	return bin
}
