package kube

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

func TestFetch(t *testing.T) {
	body, err := os.ReadFile("testdata/endoflife.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/kubernetes.json":
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		case "/api/broken.json":
			w.Write([]byte(`{"not": "a list"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	url := srv.URL + "/api/kubernetes.json"
	c, err := Fetch(context.Background(), srv.Client(), url)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != url {
		t.Errorf("source = %s, want %s", c.Source, url)
	}
	c.Source = DefaultSource // the test server's port changes from run to run
	// 1.26 is dropped, the rest sorted, 1.38's "eol": false is no date.
	golden.Assert(t, "endoflife.golden.json", c.Encode())

	for _, tc := range []struct{ path, want string }{
		{"/api/missing.json", "404"},
		{"/api/broken.json", "parse endoflife.date answer"},
	} {
		_, err := Fetch(context.Background(), srv.Client(), srv.URL+tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fetch(%s) err = %v, want it to mention %q", tc.path, err, tc.want)
		}
	}
}

// The lifecycles are refreshed from an httptest server shaped like
// endoflife.date's API v1 (/api/v1/products/<product>, the product under
// "result", its cycles under "releases" with releaseDate, eolFrom and
// eoesFrom): API dates replace the catalog's, derived dates the API lacks
// stay (GKE's Extended channel), OpenShift releases map to Kubernetes
// minors, a product the site lacks (404) is kept, and a broken answer
// leaves the file as it was.
func TestRefreshLifecycles(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/products/")
		body, err := os.ReadFile("testdata/endoflife-v1/" + id + ".json")
		if !ok || err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "lifecycles.json")
	if err := os.WriteFile(path, embeddedLifecycles, 0o644); err != nil {
		t.Fatal(err)
	}
	today := mustDate(t, "2026-11-30")
	l, notes, changed, err := RefreshLifecyclesFile(context.Background(), srv.Client(), srv.URL, path, today)
	if err != nil || !changed {
		t.Fatalf("refresh: changed %v, err %v", changed, err)
	}
	want := []string{"/api/v1/products/amazon-eks", "/api/v1/products/google-kubernetes-engine", "/api/v1/products/azure-kubernetes-service", "/api/v1/products/red-hat-openshift"}
	if strings.Join(asked, " ") != strings.Join(want, " ") {
		t.Errorf("asked %v, want %v", asked, want)
	}
	if len(notes) != 4 || !strings.Contains(notes[2], "azure-kubernetes-service: not on") {
		t.Errorf("notes %q: want one per product, AKS kept", notes)
	}
	for _, tc := range []struct{ product, minor, want string }{
		{"amazon-eks", "1.36", "2026-06-10 2027-08-10 2028-08-10 " + srv.URL + "/api/v1/products/amazon-eks"},
		{"google-kubernetes-engine", "1.35", "2026-02-11 2027-04-11 2028-02-11 " + srv.URL + "/api/v1/products/google-kubernetes-engine; extended: derived, 24 months after the GKE release per FACTS.md"},
		{"red-hat-openshift", "1.36", "2026-10-20 2028-04-20 - " + srv.URL + "/api/v1/products/red-hat-openshift"},
		{"azure-kubernetes-service", "1.36", "2026-04-22 2027-06-28 - derived: not verified; the upstream release and end of life (AKS community support follows the upstream window, FACTS.md)"},
	} {
		m, ok := l.Product(tc.product).Lookup(Default(), minor(t, tc.minor))
		got := FormatDate(m.Available) + " " + FormatDate(m.Standard) + " " + FormatDate(m.Extended) + " " + m.Source
		if !ok || got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.product, tc.minor, got, tc.want)
		}
	}
	if _, ok := l.Product("amazon-eks").Lookup(Default(), minor(t, "1.26")); ok {
		t.Error("1.26 is older than the catalog keeps")
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "lifecycles-refreshed.golden.json", bytes.ReplaceAll(written, []byte(srv.URL), []byte("https://endoflife.date")))

	// A second refresh finds nothing new and leaves the file alone.
	if _, _, changed, err := RefreshLifecyclesFile(context.Background(), srv.Client(), srv.URL, path, today); err != nil || changed {
		t.Errorf("second refresh: changed %v, err %v", changed, err)
	}

	// A broken answer fails the refresh and writes nothing.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"schema_version":"1.2.0","result":{"name":"amazon-eks","releases":[{"name":"1.40","releaseDate":"soon"}]}}`))
	}))
	defer broken.Close()
	if _, _, _, err := RefreshLifecyclesFile(context.Background(), broken.Client(), broken.URL, path, today); err == nil || !strings.Contains(err.Error(), "releaseDate") {
		t.Errorf("broken answer: err = %v, want it to name releaseDate", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, written) {
		t.Error("a failed refresh changed the file")
	}
}
