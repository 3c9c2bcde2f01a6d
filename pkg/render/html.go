package render

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// HTML renders the support table as one self-contained page for GitLab
// Pages: inline CSS and one small inline script, no external asset; the
// only links are to jobs and pipelines, made from http(s) URLs only. The
// grid is colour-coded by level and every grid cell shows its recent
// history as small squares whose titles name the pipeline, date and
// outcome; every colour comes with a text label.
//
// The page stays light at scale (issue 14: 6,660 cells and 30 runs made
// 12 MB): a feature cell carries its history as one letter per run
// (results.StatusLetters) and the page lists each run once; the script
// draws the squares, with titles and links, from them. Without script
// the letters show as text.
func HTML(r *report.Report) []byte {
	var b bytes.Buffer
	if err := page.Execute(&b, newView(r)); err != nil {
		// The template and its data are fixed by this package; an error
		// here is a programming error caught by the tests.
		panic("render: html: " + err.Error())
	}
	return b.Bytes()
}

type view struct {
	// Runs are the runs the feature cells' histories name, oldest first:
	// a history square is drawn from its index here.
	Runs []runView
	// Letters maps each status letter of a history to its status.
	Letters   map[string]string
	LastRun   string
	Minors    []minorView
	MostFlaky []flakyView
	// FlakyIntro says what the most-flaky list counts.
	FlakyIntro string
	Rows       []rowView
	Levels     []legendView
	Statuses   []legendView
	MatrixRef  string
}

type minorView struct {
	Minor, Released, EOL, Extended string
}

type legendView struct {
	Class, Label, Meaning, Letter string
}

type rowView struct {
	ID, Name, Tier, Cluster, Docs, Policy string
	Owners                                string
	Requirements                          []report.Requirement
	Grid                                  []gridView
	Offered                               []gridView
	VendorRows                            []vendorRow
	Features                              []featureView
	Official                              bool
	Exceptions                            []exception
	Settings                              []string
	Upgrades, Skews                       []otherView
	Infra                                 []infraView
}

// infraView is a failed cluster job: what failed, and links to its run
// and job.
type infraView struct {
	Text, Run, RunURL, JobURL string
}

type gridView struct {
	Minor, Class, Label, Release, Vendor, Reason, Green, Verified, VerifiedURL string
	// Decided names the run that decided the level; DecidedURL links it.
	Decided, DecidedURL string
	History             []squareView
	HistoryLabel        string
}

type squareView struct {
	Class, Title, URL string
}

type featureView struct {
	Name, ID string
	Owners   string
	Blocking bool
	Cells    []statusView
}

type statusView struct {
	Class, Label, URL, Title string
	// Flake is the cell's flake rate ("25% flaky"), "" when it never
	// flaked in the history.
	Flake string
	Hist  *histView
}

// flakyView is one row of the most-flaky list.
type flakyView struct {
	Cell, Rate, Runs string
	Above            bool
	Status           statusView
}

// histView is a feature cell's history, oldest first, as the page's script
// reads it: H holds one status letter per run; R the runs' indexes in
// view.Runs when they are not the newest len(H) runs; J, as JSON, the job
// link of each square that did not pass (a passing square links its run).
type histView struct {
	H, R, J string
}

// runView is a run as the page's script shows it in a square's title.
type runView struct {
	Name string `json:"name"`
	At   string `json:"at"`
	URL  string `json:"url,omitempty"`
}

type runKey struct {
	pipeline int64
	local    bool
}

// runTable lists the runs of the feature cells' histories once, oldest
// first.
type runTable struct {
	runs  []report.RunRef
	index map[runKey]int
}

func newRunTable(r *report.Report) *runTable {
	t := &runTable{index: map[runKey]int{}}
	seen := map[runKey]bool{}
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			for _, f := range v.Cells {
				if f == nil {
					continue
				}
				for _, h := range f.History {
					if k := (runKey{h.Run.Pipeline, h.Run.Local}); !seen[k] {
						seen[k] = true
						t.runs = append(t.runs, *h.Run)
					}
				}
			}
		}
	}
	slices.SortFunc(t.runs, func(a, b report.RunRef) int {
		if c := a.FinishedAt.Compare(b.FinishedAt); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pipeline, b.Pipeline); c != 0 {
			return c
		}
		return cmp.Compare(fmt.Sprint(a.Local), fmt.Sprint(b.Local))
	})
	for i, run := range t.runs {
		t.index[runKey{run.Pipeline, run.Local}] = i
	}
	return t
}

func (t *runTable) views() []runView {
	out := make([]runView, len(t.runs))
	for i, run := range t.runs {
		out[i] = runView{Name: run.Name(), At: report.FormatTime(run.FinishedAt)}
		if linkable(run.URL) {
			out[i].URL = run.URL
		}
	}
	return out
}

// hist encodes a cell's history (newest first in the report) for the page.
func (t *runTable) hist(history []report.Result) *histView {
	if len(history) == 0 {
		return nil
	}
	n := len(history)
	var buf [report.HistoryLen]byte
	letters := buf[:0]
	var jobs map[string]string
	newest := true
	for i := n - 1; i >= 0; i-- {
		h := history[i]
		letters = append(letters, results.StatusLetters[h.Status])
		newest = newest && t.index[runKey{h.Run.Pipeline, h.Run.Local}] == len(t.runs)-n+(n-1-i)
		if h.Status != results.Passed && linkable(h.JobURL) {
			if jobs == nil {
				jobs = map[string]string{}
			}
			jobs[strconv.Itoa(n-1-i)] = h.JobURL
		}
	}
	v := &histView{H: string(letters)}
	if !newest {
		var idx []byte // the runs' indexes, space-separated
		for i := n - 1; i >= 0; i-- {
			if len(idx) > 0 {
				idx = append(idx, ' ')
			}
			idx = strconv.AppendInt(idx, int64(t.index[runKey{history[i].Run.Pipeline, history[i].Run.Local}]), 10)
		}
		v.R = string(idx)
	}
	if len(jobs) > 0 {
		j, _ := json.Marshal(jobs) // a map of strings: cannot fail
		v.J = string(j)
	}
	return v
}

type otherView struct {
	Label  string
	Status statusView
	Run    string
}

func newView(r *report.Report) view {
	runs := newRunTable(r)
	v := view{Runs: runs.views(), Letters: map[string]string{}, LastRun: lastRunSentence(r, false), MatrixRef: orDash(r.MatrixFile), FlakyIntro: flakyIntro("in bold")}
	for st, l := range results.StatusLetters {
		v.Letters[string(l)] = string(st)
	}
	for _, c := range r.MostFlaky(report.MostFlakyLen) {
		v.MostFlaky = append(v.MostFlaky, flakyView{Cell: c.ID, Rate: report.FormatRate(c.Flake.Rate), Above: c.Flake.Above,
			Runs: fmt.Sprintf("%d of %d", c.Flake.Flaky, c.Flake.Runs), Status: statusOf(c, nil)})
	}
	for _, m := range r.Minors {
		v.Minors = append(v.Minors, minorView{Minor: m.Minor.String(), Released: kube.FormatDate(m.Released), EOL: kube.FormatDate(m.EOL), Extended: line(m.Extended)})
	}
	for _, l := range report.Levels {
		v.Levels = append(v.Levels, legendView{Class: levelClass(l), Label: string(l), Meaning: l.Describe()})
	}
	for _, s := range statuses {
		v.Statuses = append(v.Statuses, legendView{Class: "st-" + string(s), Label: statusText(s), Meaning: statusMeaning[s], Letter: string(results.StatusLetters[s])})
	}
	for _, d := range r.Distributions {
		row := rowView{
			ID: d.ID, Name: d.Name, Tier: string(d.Tier), Cluster: string(d.Cluster), Docs: d.Docs,
			Policy: policyText(d), Requirements: d.Requirements, Official: d.Tier == matrix.TierOfficial,
			Exceptions: exceptions(d), Settings: d.Settings, Owners: strings.Join(d.Owners, ", "),
		}
		for i := range row.Exceptions {
			if !linkable(row.Exceptions[i].Link) {
				row.Exceptions[i].Link = ""
			}
		}
		for _, ver := range d.Versions {
			g := gridView{Minor: ver.Kubernetes.String(), Class: levelClass(ver.Level), Label: string(ver.Level), Release: ver.ReleaseName, Vendor: vendorShort(ver.Vendor), Reason: line(ver.Reason)}
			if ver.GreenRunsRequired > 0 {
				g.Green = ver.GreenText()
			}
			if ver.DecidedBy != nil {
				g.Decided = runText(ver.DecidedBy)
				if linkable(ver.DecidedBy.URL) {
					g.DecidedURL = ver.DecidedBy.URL
				}
			}
			if ver.LastVerified != nil {
				g.Verified = ver.LastVerified.FinishedAt.UTC().Format("2006-01-02") + ", " + ver.LastVerified.Name()
				if linkable(ver.LastVerified.URL) {
					g.VerifiedURL = ver.LastVerified.URL
				}
			}
			var words []string
			for i := len(ver.History) - 1; i >= 0; i-- {
				h := ver.History[i]
				title := fmt.Sprintf("%s, %s: %s", h.Run.Name(), report.FormatTime(h.Run.FinishedAt), h.Outcome)
				if h.Detail != "" {
					title += " (" + h.Detail + ")"
				}
				sq := squareView{Class: "o-" + string(h.Outcome), Title: title}
				if linkable(h.Run.URL) {
					sq.URL = h.Run.URL
				}
				g.History = append(g.History, sq)
				words = append(words, string(h.Outcome))
			}
			if len(words) > 0 {
				g.HistoryLabel = "recent runs, oldest first: " + strings.Join(words, ", ")
			}
			row.Grid = append(row.Grid, g)
			if ver.Offered {
				row.Offered = append(row.Offered, g)
			}
		}
		row.VendorRows = vendorRows(offered(d))
		features, cells := featureRows(offered(d))
		for i, f := range features {
			fv := featureView{Name: f.Name, ID: f.ID, Blocking: f.Blocking, Owners: strings.Join(matrix.Mentions(f.Owners), ", ")}
			for _, c := range cells[i] {
				sv := statusOf(c, r.LastRun)
				if c != nil {
					sv.Hist = runs.hist(c.History)
				}
				fv.Cells = append(fv.Cells, sv)
			}
			row.Features = append(row.Features, fv)
		}
		for _, c := range d.Upgrades {
			row.Upgrades = append(row.Upgrades, otherView{Label: c.Label, Status: statusOf(c, nil), Run: runText(c.Run)})
		}
		for _, c := range d.Skews {
			row.Skews = append(row.Skews, otherView{Label: c.Label, Status: statusOf(c, nil), Run: runText(c.Run)})
		}
		for _, i := range d.Infra() {
			iv := infraView{Text: infraText(i), Run: i.Run.Name()}
			if linkable(i.Run.URL) {
				iv.RunURL = i.Run.URL
			}
			if linkable(i.JobURL) {
				iv.JobURL = i.JobURL
			}
			row.Infra = append(row.Infra, iv)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// statusOf is a cell's status, linked to its job; its title names its run
// unless that is newest, the run the page's header names.
func statusOf(c *report.Cell, newest *report.RunRef) statusView {
	if c == nil {
		return statusView{Class: "st-not_run", Label: "-"}
	}
	s := statusView{Class: "st-" + string(c.Status), Label: statusPlain(c)}
	if c.Flake.Flaky > 0 {
		s.Flake = report.FormatRate(c.Flake.Rate) + " flaky"
	}
	if linkable(c.JobURL) {
		s.URL = c.JobURL
	}
	switch {
	case c.Status == results.Excluded || c.Action != matrix.ActionRun:
		s.Title = actionText(c.Action) + ": " + line(c.Reason)
	case c.Run != nil && (newest == nil || c.Run.Pipeline != newest.Pipeline || c.Run.Local != newest.Local):
		s.Title = c.Run.Name() + ", " + report.FormatTime(c.Run.FinishedAt)
	}
	return s
}

// statusPlain is a status's text without a symbol: the HTML page relies on
// text and colour, and emoji fonts are not everywhere.
func statusPlain(c *report.Cell) string {
	s := statusText(c.Status)
	if c.Status == results.Stale && c.Last != "" {
		s += " (" + statusText(c.Last) + ")"
	}
	return s
}

func runText(r *report.RunRef) string {
	if r == nil {
		return "never"
	}
	return r.FinishedAt.UTC().Format("2006-01-02") + ", " + r.Name()
}

func levelClass(l report.Level) string {
	if l == report.NotApplicable {
		return "lv-na"
	}
	return "lv-" + string(l)
}

// css is the page's whole style sheet; colours follow levelColors.
func css() template.CSS {
	var b strings.Builder
	b.WriteString(`body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#24292f;background:#fff;line-height:1.45}
h1{margin:.2rem 0 .4rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .55rem;vertical-align:top}
th{background:#f6f8fa;text-align:left}caption{text-align:left;font-weight:600;padding:.3rem 0}
.grid td{text-align:center;min-width:7.5rem}.grid th small{display:block;font-weight:400;color:#57606a}
.lvl{font-weight:600;display:block}.rel{display:block;font-size:.85em}
.hist{display:inline-flex;gap:2px;margin-top:.3rem;padding:2px;background:#fff;border-radius:3px}.hist a,.hist span{display:inline-block;width:.7rem;height:.7rem;border:1px solid rgba(0,0,0,.35);border-radius:2px}
.hist[data-h]:empty::after{content:attr(data-h);font:.7rem/1 monospace;letter-spacing:1px}
.features td{text-align:center}.features .hist{display:flex;width:max-content;margin:.3rem auto 0}.features td a,.grid td a{color:inherit}
.meta{color:#57606a}.swatch{display:inline-block;width:.9rem;height:.9rem;border:1px solid rgba(0,0,0,.35);border-radius:2px;vertical-align:middle;margin-right:.3rem}
ul.legend{list-style:none;padding:0;columns:2}ul.legend li{margin:.15rem 0}
.req-met strong{color:#116329}.req-missing strong{color:#a40e26}
.grid td.tier{text-align:left}
.o-passed{background:#1a7f37}.o-failed{background:#cf222e}.o-incomplete{background:#d0d7de}.o-broken{background:#bc4c00}
`)
	for _, l := range report.Levels {
		fg := "#fff"
		if darkText(l) {
			fg = "#24292f"
		}
		fmt.Fprintf(&b, ".%s{background:%s;color:%s}\n", levelClass(l), levelColors[l], fg)
	}
	for _, s := range statuses {
		bg, fg := statusColors(s)
		fmt.Fprintf(&b, ".st-%s{background:%s;color:%s}\n", s, bg, fg)
	}
	for _, s := range statuses {
		fmt.Fprintf(&b, ".sq-%s{background:%s}\n", s, squareColor(s))
	}
	return template.CSS(b.String())
}

// squareColor is a status's colour in history squares: saturated, so
// that a square reads on any cell background.
func squareColor(s results.Status) string {
	switch s {
	case results.Passed:
		return "#1a7f37"
	case results.Failed:
		return "#cf222e"
	case results.Flaky:
		return "#bf8700"
	case results.AllowedFailure:
		return "#fb8f44"
	case results.Stale:
		return "#57606a"
	case results.Broken:
		return "#bc4c00"
	}
	return "#d0d7de"
}

// statusColors returns a status's background and text colours.
func statusColors(s results.Status) (string, string) {
	switch s {
	case results.Passed:
		return "#dafbe1", "#116329"
	case results.Failed:
		return "#ffebe9", "#a40e26"
	case results.Flaky:
		return "#fff8c5", "#7d4e00"
	case results.AllowedFailure:
		return "#fff1e5", "#953800"
	case results.Excluded:
		return "#f6f8fa", "#57606a"
	case results.Stale:
		return "#eaeef2", "#424a53"
	case results.Broken:
		return "#ffe2cc", "#762c00"
	}
	return "#ffffff", "#57606a"
}

// script draws the feature cells' history squares from their letters
// (histView) and the runs listed once (view.Runs), each when its cell
// comes near the screen. Links come only from the page's data, which holds
// http(s) URLs only.
const script = `(function () {
  var runs = JSON.parse(document.getElementById("sm-runs").textContent);
  var letters = JSON.parse(document.getElementById("sm-letters").textContent);
  function draw(el) {
    var h = el.dataset.h, n = h.length;
    var idx = el.dataset.r ? el.dataset.r.split(" ").map(Number) : null;
    var jobs = el.dataset.j ? JSON.parse(el.dataset.j) : {};
    var frag = document.createDocumentFragment();
    for (var i = 0; i < n; i++) {
      var run = runs[idx ? idx[i] : runs.length - n + i] || {}, st = letters[h[i]] || "not_run";
      var url = jobs[i] || run.url, sq = document.createElement(url ? "a" : "span");
      if (url) sq.href = url;
      sq.className = "sq-" + st;
      sq.title = run.name + ", " + run.at + ": " + st.replace("_", " ");
      frag.appendChild(sq);
    }
    el.appendChild(frag);
  }
  var cells = document.querySelectorAll(".hist[data-h]");
  if (!("IntersectionObserver" in window)) {
    cells.forEach(draw);
    return;
  }
  // Squares are drawn as their cells come near the screen: a page of
  // thousands of cells stays quick to open.
  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) {
        seen.unobserve(e.target);
        draw(e.target);
      }
    });
  }, { rootMargin: "400px" });
  cells.forEach(function (el) { seen.observe(el); });
})();`

var page = template.Must(template.New("page").Funcs(template.FuncMap{"css": css, "script": func() template.JS { return template.JS(script) }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Support matrix</title>
<style>
{{css}}</style>
</head>
<body>
<header>
<h1>Support matrix</h1>
<p class="meta">{{.LastRun}}</p>
</header>
<main>
<table class="grid">
<caption>Support level per distribution and Kubernetes minor</caption>
<thead><tr><th scope="col">Distribution</th><th scope="col">Tier</th>{{range .Minors}}<th scope="col">{{.Minor}}<small>EOL {{.EOL}}</small></th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr><th scope="row"><a href="#d-{{.ID}}">{{.Name}}</a></th><td class="tier">{{.Tier}}</td>
{{- range .Grid}}<td class="{{.Class}}" title="{{.Reason}}"><span class="lvl">{{if .DecidedURL}}<a href="{{.DecidedURL}}">{{.Label}}</a>{{else}}{{.Label}}{{end}}</span>{{if .Release}}<span class="rel">{{.Release}}</span>{{end}}{{if .Vendor}}<span class="rel">{{.Vendor}}</span>{{end}}{{if .History}}<span class="hist" role="img" aria-label="{{.HistoryLabel}}">{{range .History}}{{if .URL}}<a class="{{.Class}}" href="{{.URL}}" title="{{.Title}}"></a>{{else}}<span class="{{.Class}}" title="{{.Title}}"></span>{{end}}{{end}}</span>{{end}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>

<h2 id="legend">Legend</h2>
<ul class="legend">
{{- range .Levels}}
<li><span class="swatch {{.Class}}"></span><strong>{{.Label}}</strong>: {{.Meaning}}</li>
{{- end}}
</ul>
<p>Each level links the run that decided it. The squares under each level show the newest counting runs, oldest first: <span class="swatch o-passed"></span>every blocking feature passed, <span class="swatch o-failed"></span>a blocking feature failed, <span class="swatch o-broken"></span>the cluster did not come up, <span class="swatch o-incomplete"></span>incomplete. Hover a square for its pipeline.</p>
<p>Each feature links its newest job; its squares show its newest counting runs, oldest first, and link the job of a run that did not pass, else the pipeline. Without script they read as one letter per run.</p>
<ul class="legend">
{{- range .Statuses}}
<li><span class="swatch {{.Class}}"></span><strong>{{.Label}}</strong> (<code>{{.Letter}}</code>): {{.Meaning}}</li>
{{- end}}
</ul>

<h2 id="kubernetes">Kubernetes minors</h2>
<table>
<thead><tr><th scope="col">Minor</th><th scope="col">Upstream release</th><th scope="col">Upstream end of life</th><th scope="col">Note</th></tr></thead>
<tbody>
{{- range .Minors}}
<tr><td>{{.Minor}}</td><td>{{.Released}}</td><td>{{.EOL}}</td><td>{{if .Extended}}kept for extended support: {{.Extended}}{{end}}</td></tr>
{{- end}}
</tbody>
</table>

<h2 id="most-flaky">Most flaky</h2>
{{- if .MostFlaky}}
<p>{{.FlakyIntro}}</p>
<table>
<thead><tr><th scope="col">Cell</th><th scope="col">Flake rate</th><th scope="col">Flaky runs</th><th scope="col">Status</th></tr></thead>
<tbody>
{{- range .MostFlaky}}
<tr><td><code>{{.Cell}}</code></td><td>{{if .Above}}<strong>{{.Rate}}</strong> (above flaky_above){{else}}{{.Rate}}{{end}}</td><td>{{.Runs}}</td><td class="{{.Status.Class}}">{{if .Status.URL}}<a href="{{.Status.URL}}">{{.Status.Label}}</a>{{else}}{{.Status.Label}}{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p>No cell flaked in the counting runs the history holds.</p>
{{- end}}
{{range .Rows}}
<section id="d-{{.ID}}">
<h2>{{.Name}}</h2>
<p class="meta">Id <code>{{.ID}}</code> · tier <strong>{{.Tier}}</strong> · {{.Cluster}} cluster{{if .Docs}} · docs <code>{{.Docs}}</code>{{end}}{{if .Owners}} · owners {{.Owners}}{{end}}</p>
<p>Policy ({{.Tier}}): {{.Policy}}.</p>
{{- if .Requirements}}
<ul>
{{- range .Requirements}}
<li class="{{if .Met}}req-met{{else}}req-missing{{end}}"><strong>{{if .Met}}met{{else}}missing{{end}}</strong>: {{.Detail}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Offered}}
<table class="features">
<caption>{{.Name}}: features per Kubernetes minor</caption>
<thead><tr><th scope="col">Feature</th>{{range .Offered}}<th scope="col">{{.Minor}}</th>{{end}}</tr></thead>
<tbody>
<tr><th scope="row">Level</th>{{range .Offered}}<td class="{{.Class}}" title="{{.Reason}}"><span class="lvl">{{.Label}}</span>{{if .Release}}<span class="rel">{{.Release}}</span>{{end}}</td>{{end}}</tr>
{{- range .VendorRows}}
<tr><th scope="row">{{.Label}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
{{- range .Features}}
<tr><th scope="row">{{.Name}} <code>{{.ID}}</code>{{if not .Blocking}} <small>(non-blocking)</small>{{end}}{{if .Owners}} <small>(owners {{.Owners}})</small>{{end}}</th>{{range .Cells}}<td class="{{.Class}}"{{if .Title}} title="{{.Title}}"{{end}}>{{if .URL}}<a href="{{.URL}}">{{.Label}}</a>{{else}}{{.Label}}{{end}}{{if .Flake}}<span class="rel">{{.Flake}}</span>{{end}}{{with .Hist}}<span class="hist" data-h="{{.H}}"{{if .R}} data-r="{{.R}}"{{end}}{{if .J}} data-j="{{.J}}"{{end}}></span>{{end}}</td>{{end}}</tr>
{{- end}}
{{- if .Official}}
<tr><th scope="row">Green runs</th>{{range .Offered}}<td>{{.Green}}</td>{{end}}</tr>
{{- end}}
<tr><th scope="row">Last verified</th>{{range .Offered}}<td>{{if .VerifiedURL}}<a href="{{.VerifiedURL}}">{{.Verified}}</a>{{else if .Verified}}{{.Verified}}{{else}}never{{end}}</td>{{end}}</tr>
</tbody>
</table>
<ul>
{{- range .Offered}}
<li>{{.Minor}}: <strong>{{.Label}}</strong>: {{.Reason}}{{if .DecidedURL}} (decided by <a href="{{.DecidedURL}}">{{.Decided}}</a>){{else if .Decided}} (decided by {{.Decided}}){{end}}</li>
{{- end}}
</ul>
{{- if .Infra}}
<h3>Cluster problems in the newest runs (not product failures)</h3>
<ul>
{{- range .Infra}}
<li>{{.Text}}, in {{if .RunURL}}<a href="{{.RunURL}}">{{.Run}}</a>{{else}}{{.Run}}{{end}}{{if .JobURL}} (<a href="{{.JobURL}}">job</a>){{end}}</li>
{{- end}}
</ul>
{{- end}}
{{- else}}
<p>Offers none of the matrix's Kubernetes minors.</p>
{{- end}}
{{- if .Exceptions}}
<h3>Exclusions and exceptions</h3>
<ul>
{{- range .Exceptions}}
<li><code>{{.Feature}}</code> on {{.Minors}}: <strong>{{.ActionText}}</strong>. {{.Reason}}{{if .Link}} (<a href="{{.Link}}">link</a>){{end}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Settings}}
<h3>Tested settings</h3>
<ul>
{{- range .Settings}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Upgrades}}
<table>
<caption>{{.Name}}: upgrades</caption>
<thead><tr><th scope="col">Upgrade</th><th scope="col">Status</th><th scope="col">Last run</th></tr></thead>
<tbody>
{{- range .Upgrades}}
<tr><td>{{.Label}}</td><td class="{{.Status.Class}}">{{if .Status.URL}}<a href="{{.Status.URL}}">{{.Status.Label}}</a>{{else}}{{.Status.Label}}{{end}}</td><td>{{.Run}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Skews}}
<table>
<caption>{{.Name}}: version skew</caption>
<thead><tr><th scope="col">Cluster</th><th scope="col">Status</th><th scope="col">Last run</th></tr></thead>
<tbody>
{{- range .Skews}}
<tr><td>{{.Label}}</td><td class="{{.Status.Class}}">{{if .Status.URL}}<a href="{{.Status.URL}}">{{.Status.Label}}</a>{{else}}{{.Status.Label}}{{end}}</td><td>{{.Run}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
</section>
{{end}}
</main>
<footer><p class="meta">Generated by supportmatrix render from {{.MatrixRef}} and the run history.</p></footer>
<script type="application/json" id="sm-runs">{{.Runs}}</script>
<script type="application/json" id="sm-letters">{{.Letters}}</script>
<script>{{script}}</script>
</body>
</html>
`))
