package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// fixture builds the report of testdata/matrix.yaml and results.json the
// way `supportmatrix render` does (docs.BuildReport, requirements judged by
// the docs audit of testdata/repo).
func fixture(t *testing.T) *report.Report {
	t.Helper()
	m, err := matrix.Load("testdata/matrix.yaml")
	if err != nil {
		t.Fatalf("load matrix: %v", err)
	}
	f, err := results.Read("testdata/results.json")
	if err != nil {
		t.Fatalf("read results: %v", err)
	}
	r, _ := docs.BuildReport(m, f, "testdata/repo", report.Options{})
	return r
}

func TestGolden(t *testing.T) {
	t.Parallel()
	r := fixture(t)
	golden.Assert(t, "support.md.golden", Markdown(r))
	golden.Assert(t, "support.json.golden", JSON(r))
	golden.Assert(t, "support.html.golden", HTML(r))
	for _, b := range Badges(r) {
		golden.Assert(t, filepath.Join("badges", b.Name+".golden"), b.Data)
	}
}

// TestFixtureLevels pins the levels the goldens show, so a golden refresh
// cannot silently change what the fixture is meant to exercise.
func TestFixtureLevels(t *testing.T) {
	t.Parallel()
	r := fixture(t)
	want := map[string][]report.Level{
		"gke":       {report.Supported, report.Supported, report.Supported},
		"eks":       {report.Stale, report.Qualifying, report.Failing},
		"openshift": {report.Failing, report.Beta, report.NotApplicable},
		"kind":      {report.NotApplicable, report.Community, report.Broken},
	}
	for _, d := range r.Distributions {
		for i, v := range d.Versions {
			if v.Level != want[d.ID][i] {
				t.Errorf("%s/%s = %s (%s), want %s", d.ID, v.Kubernetes, v.Level, v.Reason, want[d.ID][i])
			}
		}
	}
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	var doc struct {
		Schema        string `json:"schema"`
		Distributions []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Tier     string `json:"tier"`
			Versions []struct {
				Kubernetes string `json:"kubernetes"`
				Level      string `json:"level"`
				Features   []struct {
					ID     string  `json:"id"`
					Status string  `json:"status"`
					JobURL *string `json:"job_url"`
				} `json:"features"`
			} `json:"versions"`
		} `json:"distributions"`
	}
	if err := json.Unmarshal(JSON(fixture(t)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "supportmatrix/support/v1" || len(doc.Distributions) != 4 {
		t.Fatalf("schema %q with %d distributions", doc.Schema, len(doc.Distributions))
	}
	levels := map[string]bool{}
	for _, l := range report.Levels {
		levels[string(l)] = true
	}
	valid := map[string]bool{}
	for _, s := range statuses {
		valid[string(s)] = true
	}
	for _, d := range doc.Distributions {
		for _, v := range d.Versions {
			if !levels[v.Level] {
				t.Errorf("%s/%s: level %q not in SPEC", d.ID, v.Kubernetes, v.Level)
			}
			for _, f := range v.Features {
				if !valid[f.Status] || f.JobURL == nil {
					t.Errorf("%s/%s/%s: status %q, job_url present %v", d.ID, v.Kubernetes, f.ID, f.Status, f.JobURL != nil)
				}
				if f.Status == "passed" && *f.JobURL == "" {
					t.Errorf("%s/%s/%s passed without a job", d.ID, v.Kubernetes, f.ID)
				}
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, b := fixture(t), fixture(t)
	for name, fn := range map[string]func(*report.Report) []byte{"markdown": Markdown, "json": JSON, "html": HTML} {
		if !bytes.Equal(fn(a), fn(b)) {
			t.Errorf("%s differs between two builds of the same inputs", name)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	page := string(HTML(fixture(t)))
	for _, bad := range []string{"<script src", "<link", "@import", "url(http", "src=\"http", "<img", "<iframe", "fetch(", "XMLHttpRequest"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: it must not load anything", bad)
		}
	}
	// The only scripts: the runs and status letters as data, and the one
	// that draws the history squares.
	if n := strings.Count(page, "<script"); n != 3 {
		t.Errorf("page has %d script elements, want 3 (two of data, one inline)", n)
	}
	// Every href is a fragment or a job/pipeline/issue link from the data,
	// and so is every URL the script links from (data-j, the runs).
	for _, part := range strings.Split(page, `href="`)[1:] {
		u := part[:strings.IndexByte(part, '"')]
		if !strings.HasPrefix(u, "#") && !strings.HasPrefix(u, "https://gitlab.example/") {
			t.Errorf("unexpected link %q", u)
		}
	}
	for _, u := range scriptLinks(t, page) {
		if !strings.HasPrefix(u, "https://gitlab.example/") {
			t.Errorf("the script would link %q", u)
		}
	}
	if !strings.Contains(page, `data-j="{&#34;0&#34;:&#34;https://gitlab.example/product/-/jobs/1076&#34;}"`) {
		t.Error("a failed square's job link is not in the page's data")
	}
}

// scriptLinks returns every URL the page's script may link: the runs' and
// each data-j's.
func scriptLinks(t *testing.T, page string) []string {
	t.Helper()
	var out []string
	m := regexp.MustCompile(`<script type="application/json" id="sm-runs">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no runs in the page")
	}
	var runs []struct{ URL string }
	if err := json.Unmarshal([]byte(m[1]), &runs); err != nil {
		t.Fatalf("runs: %v", err)
	}
	for _, r := range runs {
		if r.URL != "" {
			out = append(out, r.URL)
		}
	}
	for _, m := range regexp.MustCompile(`data-j="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		var jobs map[string]string
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &jobs); err != nil {
			t.Fatalf("data-j %s: %v", m[1], err)
		}
		for _, u := range jobs {
			out = append(out, u)
		}
	}
	return out
}

func TestUnsafeLinksAreText(t *testing.T) {
	t.Parallel()
	r := fixture(t)
	r.Distributions[0].Versions[0].Cells[0].JobURL = "javascript:alert(1)"
	r.LastRun.URL = "file:///etc/passwd"
	// A history square that did not pass links its job: not this one.
	h := &r.Distributions[0].Versions[0].Cells[0].History[0]
	h.Status, h.JobURL = results.Failed, "javascript:alert(2)"
	h.Run.URL = "file:///etc/shadow"
	for name, out := range map[string][]byte{"markdown": Markdown(r), "html": HTML(r)} {
		if bytes.Contains(out, []byte("javascript:")) || bytes.Contains(out, []byte("file:///")) {
			t.Errorf("%s links an unsafe URL", name)
		}
		if name == "html" && len(scriptLinks(t, string(out))) == 0 {
			t.Error("the page's script links nothing: the test checks nothing")
		}
	}
}

func TestBadge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		label, message string
		level          report.Level
		width          int
	}{
		{"gke", "supported 1.34–1.36", report.Supported, 30 + 127}, // (69+65+66)/10+10, (557+39+250+70+250)/10 rounded up +10,
		{"kind", "n/a", report.NotApplicable, 34 + 29},
		{"a<b", "x&y", report.Failing, 33 + 31},
	}
	for _, tc := range tests {
		svg := Badge(tc.label, tc.message, tc.level)
		var doc struct {
			Width string `xml:"width,attr"`
			Title string `xml:"title"`
		}
		if err := xml.Unmarshal(svg, &doc); err != nil {
			t.Fatalf("%s: not well-formed XML: %v\n%s", tc.label, err, svg)
		}
		if doc.Title != tc.label+": "+tc.message {
			t.Errorf("title %q", doc.Title)
		}
		if doc.Width != strconv.Itoa(tc.width) {
			t.Errorf("%s: width %s, want %d", tc.label, doc.Width, tc.width)
		}
		if !bytes.Contains(svg, []byte(levelColors[tc.level])) {
			t.Errorf("%s: lacks the %s colour", tc.label, tc.level)
		}
	}
}

func TestAnchors(t *testing.T) {
	t.Parallel()
	a := newAnchors()
	tests := []struct{ heading, want string }{
		{"Google Kubernetes Engine", "google-kubernetes-engine"},
		{"kind (Kubernetes in Docker)", "kind-kubernetes-in-docker"},
		{"Google Kubernetes Engine", "google-kubernetes-engine-1"},
		{"A - B", ""},
		{"Ünïcode 1.35", "ünïcode-135"},
	}
	for _, tc := range tests {
		if got := a.add(tc.heading); got != tc.want {
			t.Errorf("anchor(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}
