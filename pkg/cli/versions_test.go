package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// versionsFixture copies a matrix from pkg/kube/testdata into a temporary
// directory, so that --sync can rewrite it, and returns its path.
func versionsFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "kube", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "matrix.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// versionsRun runs the CLI in-process and returns the exit code and both
// streams, with the temporary matrix path shown as matrix.yaml.
func versionsRun(t *testing.T, matrixPath string, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"versions"}, args...)...)
	clean := func(s string) string {
		if matrixPath == "" {
			return s
		}
		return strings.ReplaceAll(s, matrixPath, "matrix.yaml")
	}
	return code, clean(stdout), clean(stderr)
}

func TestVersionsCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fixture, date string
		code                int
		stderr              string // a line stderr must hold
	}{
		{"1.33-1.37 tests two ended minors", "matrix-1.33-1.37.yaml", "2026-11-22", ExitInvalid, "versions check failed: 2 finding(s)"},
		{"1.35-1.37 is current", "matrix-1.35-1.37.yaml", "2026-11-22", ExitOK, ""},
		{"ended minors declared extended", "extended-1.33-1.37.yaml", "2026-11-22", ExitOK, ""},
		{"1.34-1.36 within 1.37's grace period", "matrix-1.34-1.36.yaml", "2026-09-01", ExitOK, ""},
		{"1.34-1.36 after 1.37's grace period", "matrix-1.34-1.36.yaml", "2026-12-01", ExitInvalid, "versions check failed: 2 finding(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := versionsFixture(t, tc.fixture)
			code, stdout, stderr := versionsRun(t, path, "--matrix", path, "--check", "--date", tc.date)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
		})
	}
}

// The table, byte for byte: the product output of `versions`.
func TestVersionsText(t *testing.T) {
	t.Parallel()
	path := versionsFixture(t, "extended-1.33-1.37.yaml")
	code, stdout, _ := versionsRun(t, path, "--matrix", path, "--date", "2026-11-22")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	want := `Kubernetes minors on 2026-11-22 against matrix.yaml

MINOR  RELEASED    END OF LIFE  IN MATRIX  STATUS
1.27   2023-04-11  2024-06-28   no         end of life
1.28   2023-08-15  2024-10-28   no         end of life
1.29   2023-12-13  2025-02-28   no         end of life
1.30   2024-04-17  2025-06-28   no         end of life
1.31   2024-08-13  2025-10-28   no         end of life
1.32   2024-12-11  2026-02-28   no         end of life
1.33   2025-04-23  2026-06-28   yes        extended: EKS extended support until 2027-07-29
1.34   2025-08-27  2026-10-27   yes        extended: EKS extended support until 2027-12-02
1.35   2025-12-17  2027-02-28   yes        supported
1.36   2026-04-22  2027-06-28   yes        supported
1.37   2026-08-26  2027-10-28   yes        supported
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
}

func TestVersionsJSON(t *testing.T) {
	t.Parallel()
	path := versionsFixture(t, "matrix-1.33-1.37.yaml")
	code, stdout, _ := versionsRun(t, path, "--matrix", path, "--date", "2026-11-22", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d without --check", code)
	}
	var got struct {
		Schema string `json:"schema"`
		Date   string `json:"date"`
		Minors []struct {
			Minor, Status string
			InMatrix      bool `json:"in_matrix"`
		} `json:"minors"`
		Findings []struct {
			Position, Rule string
			Failing        bool
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got.Schema != "supportmatrix/versions/v1" || got.Date != "2026-11-22" || len(got.Minors) != 11 {
		t.Errorf("schema %q date %q minors %d", got.Schema, got.Date, len(got.Minors))
	}
	var findings []string
	for _, f := range got.Findings {
		findings = append(findings, f.Position+" "+f.Rule)
		if !f.Failing {
			t.Errorf("%s %s: want failing", f.Position, f.Rule)
		}
	}
	if want := "matrix.yaml:6:14 end-of-life,matrix.yaml:6:22 end-of-life"; strings.Join(findings, ",") != want {
		t.Errorf("findings %v, want %s", findings, want)
	}
}

// --sync fixes the 1.33-1.37 matrix in place, keeping its comments; the
// check then passes.
func TestVersionsSync(t *testing.T) {
	t.Parallel()
	path := versionsFixture(t, "matrix-1.33-1.37.yaml")
	code, stdout, stderr := versionsRun(t, path, "--matrix", path, "--sync", "--check", "--date", "2026-11-22")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, line := range []string{
		"matrix.yaml: drop Kubernetes 1.33: end of life on 2026-06-28, and no named lifecycle supports it\n",
		"matrix.yaml: drop Kubernetes 1.34: end of life on 2026-10-27, and no named lifecycle supports it\n",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, stdout)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "kube", "testdata", "sync-matrix-1.33-1.37.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("synced file:\n%s\nwant:\n%s", got, want)
	}
	if !bytes.Contains(got, []byte("# Oldest first; `supportmatrix versions --sync` keeps this list current.")) {
		t.Error("the comment above versions is gone")
	}
	// No temporary file is left next to the matrix.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after sync, want 1", len(entries))
	}
}

// A sync whose result would be invalid writes nothing.
func TestVersionsSyncRefusesInvalidResult(t *testing.T) {
	t.Parallel()
	path := versionsFixture(t, "matrix-1.33-1.37.yaml")
	before, _ := os.ReadFile(path)
	// kind offers only 1.33 and 1.34: dropping them leaves it nothing.
	edited := bytes.Replace(before, []byte("    tier: community\n"), []byte("    tier: community\n    kubernetes: \"< 1.35\"\n"), 1)
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := versionsRun(t, path, "--matrix", path, "--sync", "--date", "2026-11-22")
	if code != ExitInvalid || !strings.Contains(stderr, "would not be a valid matrix") || !strings.Contains(stderr, "offers-nothing") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, edited) {
		t.Error("the matrix file changed although sync failed")
	}
}

func TestVersionsRefresh(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("..", "kube", "testdata", "endoflife.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/kubernetes.json" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()

	path := versionsFixture(t, "matrix-1.35-1.37.yaml")
	catalog := filepath.Join(t.TempDir(), "catalog.json")
	code, stdout, stderr := versionsRun(t, path, "--matrix", path, "--date", "2026-12-20",
		"--refresh", "--catalog", catalog, "--url", srv.URL+"/api/kubernetes.json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, catalog+": updated, 4 minors from "+srv.URL) {
		t.Errorf("stderr: %s", stderr)
	}
	// The fixture's 1.38 (released 2026-12-16, end of life not announced)
	// shows up from the fetched catalog.
	if !strings.Contains(stdout, "1.38   2026-12-16  -            no         supported\n") {
		t.Errorf("stdout lacks the fetched 1.38:\n%s", stdout)
	}
	// The written catalog is read back with --catalog alone.
	code, stdout, _ = versionsRun(t, path, "--matrix", path, "--date", "2026-12-20", "--catalog", catalog)
	if code != ExitOK || !strings.Contains(stdout, "1.38   2026-12-16") {
		t.Errorf("exit %d reading the refreshed catalog:\n%s", code, stdout)
	}
	// A failed fetch leaves the catalog file as it was.
	before, _ := os.ReadFile(catalog)
	code, _, stderr = versionsRun(t, path, "--matrix", path, "--refresh", "--catalog", catalog, "--url", srv.URL+"/missing")
	after, _ := os.ReadFile(catalog)
	if code != ExitInvalid || !strings.Contains(stderr, "404") || !bytes.Equal(before, after) {
		t.Errorf("exit %d, stderr %q, catalog changed %v", code, stderr, !bytes.Equal(before, after))
	}
}

func TestVersionsUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--date", "22.11.2026"}, "want YYYY-MM-DD"},
		{[]string{"--format", "yaml"}, "use text or json"},
		{[]string{"--refresh"}, "--refresh needs --catalog"},
		{[]string{"extra"}, "takes no arguments"},
	} {
		code, _, stderr := versionsRun(t, "", tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit %d mentioning %q", tc.args, code, stderr, ExitUsage, tc.want)
		}
	}
}
