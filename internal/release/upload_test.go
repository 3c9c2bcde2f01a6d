package release

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestReleaseUpload runs .ci/release-upload.sh against a stand-in for
// GitLab's generic package registry on loopback: every archive and
// checksums.txt is PUT to .../packages/generic/supportmatrix/<tag>/<file>
// with the job token in JOB-TOKEN and nowhere else, and a missing file stops
// the upload before anything is sent.
func TestReleaseUpload(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
			t.Fatalf("tools required: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	var (
		mu  sync.Mutex
		got = map[string]string{}
		bad []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPut || r.Header.Get("JOB-TOKEN") != "job-token" || strings.Contains(r.URL.String(), "job-token") {
			bad = append(bad, r.Method+" "+r.URL.Path+" JOB-TOKEN="+r.Header.Get("JOB-TOKEN"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got[r.URL.Path] = string(body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	dist := t.TempDir()
	files := map[string]string{
		"supportmatrix_1.2.3_linux_amd64.tar.gz":  "linux amd64",
		"supportmatrix_1.2.3_darwin_arm64.tar.gz": "darwin arm64",
		"checksums.txt": "sums",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dist, name), []byte(body))
	}
	writeFile(t, filepath.Join(dist, "config.yaml"), []byte("not a release file"))
	run := func(dir string) (string, error) {
		cmd := exec.Command("sh", filepath.Join(root, ".ci", "release-upload.sh"), dir)
		cmd.Env = append(os.Environ(), "CI_API_V4_URL="+srv.URL+"/api/v4", "CI_PROJECT_ID=42", "CI_COMMIT_TAG=1.2.3", "CI_JOB_TOKEN=job-token")
		out, err := cmd.CombinedOutput()
		return string(out), errorWith(err, out)
	}
	out, err := run(dist)
	if err != nil {
		t.Fatalf("release-upload: %v", err)
	}
	if len(bad) > 0 {
		t.Fatalf("bad requests: %v", bad)
	}
	var paths []string
	for name, body := range files {
		p := "/api/v4/projects/42/packages/generic/supportmatrix/1.2.3/" + name
		paths = append(paths, srv.URL+p)
		if got[p] != body {
			t.Errorf("PUT %s = %q, want %q", p, got[p], body)
		}
	}
	if len(got) != len(files) {
		t.Errorf("uploaded %d files, want %d: %v", len(got), len(files), got)
	}
	sort.Strings(paths)
	lines := strings.Fields(out)
	sort.Strings(lines)
	if strings.Join(lines, "\n") != strings.Join(paths, "\n") {
		t.Errorf("printed\n%s\nwant the URLs\n%s", out, strings.Join(paths, "\n"))
	}

	// Without checksums.txt nothing is uploaded.
	got = map[string]string{}
	if err := os.Remove(filepath.Join(dist, "checksums.txt")); err != nil {
		t.Fatal(err)
	}
	if out, err := run(dist); err == nil || !strings.Contains(out, "checksums.txt is missing") || len(got) != 0 {
		t.Errorf("without checksums.txt: %v, %q, %d uploads; want a refusal before any upload", err, out, len(got))
	}
}
