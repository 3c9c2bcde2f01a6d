package kube

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
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
