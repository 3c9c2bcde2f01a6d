package render

import (
	"bytes"
	"encoding/json"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// SupportSchema identifies the JSON support table.
const SupportSchema = "supportmatrix/support/v1"

// supportJSON is the JSON support table. SPEC fixes schema, distributions
// and, within them, id, name, tier, versions, kubernetes, level, features,
// and a feature's id, status and job_url; the other fields add the evidence
// the Markdown table shows and are omitted when empty.
type supportJSON struct {
	Schema     string `json:"schema"`
	MeasuredAt string `json:"measured_at,omitempty"`
	// Local marks a local view: local runs decided it; never published.
	Local         bool       `json:"local,omitempty"`
	LastRun       *runJSON   `json:"last_run,omitempty"`
	Kubernetes    []kubeJSON `json:"kubernetes"`
	Distributions []distJSON `json:"distributions"`
	// MostFlaky lists the cells that flaked in the history, flakiest
	// first (report.MostFlaky), at most report.MostFlakyLen.
	MostFlaky []flakyCellJSON `json:"most_flaky"`
}

// flakeJSON is a cell's flakiness over the counting runs the history
// holds (report.Flake): runs that passed or failed, those of them that
// flaked, their share, and whether it is above the policy's flaky_above.
type flakeJSON struct {
	Runs  int     `json:"runs"`
	Flaky int     `json:"flaky"`
	Rate  float64 `json:"rate"`
	Above bool    `json:"above"`
}

type flakyCellJSON struct {
	Cell   string         `json:"cell"`
	Status results.Status `json:"status"`
	flakeJSON
}

func flakeOf(c *report.Cell) *flakeJSON {
	if c.Flake.Runs == 0 {
		return nil
	}
	return &flakeJSON{Runs: c.Flake.Runs, Flaky: c.Flake.Flaky, Rate: c.Flake.Rate, Above: c.Flake.Above}
}

type kubeJSON struct {
	Version  string `json:"version"`
	Released string `json:"released,omitempty"`
	EOL      string `json:"end_of_life,omitempty"`
	Extended string `json:"extended,omitempty"`
}

type runJSON struct {
	Pipeline   int64  `json:"pipeline"`
	URL        string `json:"url,omitempty"`
	Source     string `json:"source,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Local      bool   `json:"local,omitempty"`
	FinishedAt string `json:"finished_at"`
}

type distJSON struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Tier         string        `json:"tier"`
	Owners       []string      `json:"owners,omitempty"`
	FlakyAbove   float64       `json:"flaky_above"`
	Versions     []versionJSON `json:"versions"`
	Requirements []reqJSON     `json:"requirements,omitempty"`
	Upgrades     []cellJSON    `json:"upgrades,omitempty"`
	Skews        []cellJSON    `json:"skews,omitempty"`
}

type reqJSON struct {
	Name   string `json:"name"`
	Met    bool   `json:"met"`
	Detail string `json:"detail"`
}

type versionJSON struct {
	Kubernetes        string        `json:"kubernetes"`
	Level             report.Level  `json:"level"`
	Features          []featureJSON `json:"features"`
	ReleaseName       string        `json:"release_name,omitempty"`
	Reason            string        `json:"reason,omitempty"`
	GreenRuns         int           `json:"green_runs"`
	GreenRunsRequired int           `json:"green_runs_required,omitempty"`
	LastVerified      *runJSON      `json:"last_verified,omitempty"`
	DecidedBy         *runJSON      `json:"decided_by,omitempty"`
	Infra             []infraJSON   `json:"infra,omitempty"`
	Vendor            *vendorJSON   `json:"vendor,omitempty"`
}

// infraJSON is a failed cluster job: the chain, the step, why, and the run
// and job it happened in.
type infraJSON struct {
	Chain         string   `json:"chain"`
	Step          string   `json:"step"`
	Reason        string   `json:"reason"`
	ServerVersion string   `json:"server_version,omitempty"`
	FailureReason string   `json:"failure_reason,omitempty"`
	JobURL        string   `json:"job_url,omitempty"`
	Run           *runJSON `json:"run"`
}

// vendorJSON is a distribution × minor's vendor window: its dates beside
// the level, for tools that plan upgrades.
type vendorJSON struct {
	Product       string `json:"product"`
	Release       string `json:"release,omitempty"`
	Phase         string `json:"phase"`
	Available     string `json:"available,omitempty"`
	StandardUntil string `json:"standard_support_until,omitempty"`
	ExtendedUntil string `json:"extended_support_until,omitempty"`
	Source        string `json:"source"`
}

func vendorOf(w *report.VendorWindow) *vendorJSON {
	if w == nil {
		return nil
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	return &vendorJSON{Product: w.Product, Release: w.Release, Phase: w.Phase, Available: date(w.Available),
		StandardUntil: date(w.StandardEnd), ExtendedUntil: date(w.ExtendedEnd), Source: w.Source}
}

type featureJSON struct {
	ID       string         `json:"id"`
	Status   results.Status `json:"status"`
	JobURL   string         `json:"job_url"`
	Blocking bool           `json:"blocking"`
	Reason   string         `json:"reason,omitempty"`
	Flake    *flakeJSON     `json:"flake,omitempty"`
}

type cellJSON struct {
	ID     string         `json:"id"`
	Status results.Status `json:"status"`
	JobURL string         `json:"job_url"`
	Infra  []infraJSON    `json:"infra,omitempty"`
	Flake  *flakeJSON     `json:"flake,omitempty"`
}

// JSON renders the support table as JSON (schema supportmatrix/support/v1),
// indented by two spaces with a trailing newline.
func JSON(r *report.Report) []byte {
	out := supportJSON{Schema: SupportSchema, Local: r.Local, LastRun: runOf(r.LastRun), Kubernetes: []kubeJSON{}, Distributions: []distJSON{}, MostFlaky: []flakyCellJSON{}}
	for _, c := range r.MostFlaky(report.MostFlakyLen) {
		out.MostFlaky = append(out.MostFlaky, flakyCellJSON{Cell: c.ID, Status: c.Status, flakeJSON: *flakeOf(c)})
	}
	if !r.Now.IsZero() {
		out.MeasuredAt = stamp(r.Now)
	}
	for _, m := range r.Minors {
		k := kubeJSON{Version: m.Minor.String(), Extended: m.Extended}
		if !m.Released.IsZero() {
			k.Released = m.Released.Format(time.DateOnly)
		}
		if !m.EOL.IsZero() {
			k.EOL = m.EOL.Format(time.DateOnly)
		}
		out.Kubernetes = append(out.Kubernetes, k)
	}
	for _, d := range r.Distributions {
		dj := distJSON{ID: d.ID, Name: d.Name, Tier: string(d.Tier), Owners: d.Owners, FlakyAbove: d.Policy.FlakyAbove, Versions: []versionJSON{}}
		for _, req := range d.Requirements {
			dj.Requirements = append(dj.Requirements, reqJSON{Name: req.Name, Met: req.Met, Detail: req.Detail})
		}
		for _, v := range d.Versions {
			vj := versionJSON{
				Kubernetes: v.Kubernetes.String(), Level: v.Level, Features: []featureJSON{},
				ReleaseName: v.ReleaseName, Reason: v.Reason,
				GreenRuns: v.GreenRuns, GreenRunsRequired: v.GreenRunsRequired,
				LastVerified: runOf(v.LastVerified), DecidedBy: runOf(v.DecidedBy), Infra: infraOf(v.Infra),
				Vendor: vendorOf(v.Vendor),
			}
			for _, c := range v.Cells {
				fj := featureJSON{ID: c.Feature.ID, Status: c.Status, JobURL: c.JobURL, Blocking: c.Feature.Blocking, Flake: flakeOf(c)}
				if c.Action != "run" {
					fj.Reason = c.Reason
				}
				vj.Features = append(vj.Features, fj)
			}
			dj.Versions = append(dj.Versions, vj)
		}
		for _, c := range d.Upgrades {
			dj.Upgrades = append(dj.Upgrades, cellJSON{ID: c.ID, Status: c.Status, JobURL: c.JobURL, Infra: infraOf(c.Infra), Flake: flakeOf(c)})
		}
		for _, c := range d.Skews {
			dj.Skews = append(dj.Skews, cellJSON{ID: c.ID, Status: c.Status, JobURL: c.JobURL, Infra: infraOf(c.Infra), Flake: flakeOf(c)})
		}
		out.Distributions = append(out.Distributions, dj)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		// Only strings, numbers and booleans are encoded: this cannot fail.
		panic("render: encode support JSON: " + err.Error())
	}
	return b.Bytes()
}

func runOf(r *report.RunRef) *runJSON {
	if r == nil {
		return nil
	}
	return &runJSON{Pipeline: r.Pipeline, URL: r.URL, Source: r.Source, Ref: r.Ref, Local: r.Local, FinishedAt: stamp(r.FinishedAt)}
}

func infraOf(in []report.Infra) []infraJSON {
	var out []infraJSON
	for _, i := range in {
		out = append(out, infraJSON{
			Chain: i.Chain, Step: i.Step, Reason: i.Reason, ServerVersion: i.ServerVersion,
			FailureReason: i.FailureReason, JobURL: i.JobURL, Run: runOf(&i.Run),
		})
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
