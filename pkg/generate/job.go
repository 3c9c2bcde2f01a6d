package generate

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Job kinds in the manifest.
const (
	KindTest    = "test"
	KindUpgrade = "upgrade"
	KindPrepare = "prepare"
	KindCleanup = "cleanup"
	KindTrigger = "trigger"
)

// ManifestSchema is the manifest's schema id.
const ManifestSchema = "supportmatrix/manifest/v1"

// Manifest lists every generated job, in file order, with the cell it
// belongs to, so collect can map job outcomes back to cells.
type Manifest struct {
	Schema string        `json:"schema"`
	Jobs   []ManifestJob `json:"jobs"`
	// Cells lists the ids of the cells this pipeline runs, in plan order;
	// cells not listed did not run (another profile or --only left them out).
	Cells []string `json:"cells"`
}

// ManifestJob is one generated job. Feature jobs carry the cell id
// (gke/1.35/runner); prepare and cleanup jobs the chain (gke/1.35) or the
// upgrade or skew cell they serve. Upgrade-chain jobs carry From and To
// instead of Kubernetes; skew-chain jobs carry Nodes; trigger jobs Target.
type ManifestJob struct {
	Name         string `json:"name"`
	File         string `json:"file"`
	Kind         string `json:"kind"`
	Cell         string `json:"cell,omitempty"`
	Distribution string `json:"distribution,omitempty"`
	Kubernetes   string `json:"kubernetes,omitempty"`
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	Nodes        string `json:"nodes,omitempty"`
	Feature      string `json:"feature,omitempty"`
	Action       string `json:"action,omitempty"`
	Target       string `json:"target,omitempty"`
	// Suite is the name of the test suite GitLab gives the job's JUnit
	// reports in its pipeline's test report (app/models/ci/build.rb
	// test_suite_name: the job's group). The generator names jobs so that
	// no two jobs of a pipeline share a suite: every case of the suite is
	// this job's, and collect credits it to this job alone. Empty for
	// trigger jobs, which upload no reports.
	Suite string `json:"suite,omitempty"`
}

// IsCellJob reports whether the job's outcome is (part of) a cell's: every
// job that carries a cell except prepare, cleanup and trigger jobs.
func (j *ManifestJob) IsCellJob() bool {
	switch j.Kind {
	case KindPrepare, KindCleanup, KindTrigger:
		return false
	}
	return j.Cell != ""
}

// ClusterStep tells which cluster step a chain's job performs, from the
// step its name ends with: results.StepProvision, StepConnect, StepUpgrade
// or StepTeardown; "" for feature, wait and trigger jobs. collect uses it
// to record a failed cluster job apart from a product failure.
func (j *ManifestJob) ClusterStep() string {
	for _, word := range []string{results.StepProvision, results.StepConnect, results.StepUpgrade, results.StepTeardown} {
		if strings.HasSuffix(j.Name, jobName("", word+clusterSuffix)) {
			return word
		}
	}
	return ""
}

// kv is one CI variable.
type kv struct{ key, value string }

// need is one entry of a job's needs. Needs on a chain's prepare and
// upgrade jobs fetch their artifacts (kubeconfig, dotenv); needs on other
// jobs only order.
type need struct {
	job       *job
	artifacts bool
}

// job is one generated job.
type job struct {
	name          string
	stage         string
	needs         []need // nil: no needs key; empty: needs: []
	vars          []kv
	tmpl          *prepared // the template it extends, or nil for generated jobs
	script        []string  // generated jobs only; never holds a matrix value
	image         string    // generated jobs only
	tags          []string
	resourceGroup string
	timeout       string
	when          string
	allowFailure  bool
	// cluster marks the jobs that create, reach, change or destroy a
	// cluster (provision, connect, upgrade, teardown and the waits before
	// a teardown): never interruptible, whatever pipeline.interruptible says.
	cluster bool
	entry   ManifestJob
}

// node renders the job's value: the template it extends, then the keys the
// generator owns, in a fixed order.
func (j *job) node(m *matrix.Matrix) (*yaml.Node, error) {
	if len(j.name) > cicheck.MaxJobName {
		return nil, fmt.Errorf("job name %q is longer than GitLab's %d characters", j.name, cicheck.MaxJobName)
	}
	for _, n := range j.needs {
		if len(n.job.name) > cicheck.MaxNeededJobName {
			return nil, fmt.Errorf("job %q needs %q, whose name is longer than GitLab's %d characters for a needed job", j.name, n.job.name, cicheck.MaxNeededJobName)
		}
	}
	out := newMapping()
	if j.tmpl != nil {
		out.set("extends", str(j.tmpl.key))
	}
	out.set("stage", str(j.stage))
	if j.needs != nil {
		needs := seq()
		for _, n := range j.needs {
			if n.artifacts {
				needs.Content = append(needs.Content, str(n.job.name))
				continue
			}
			e := newMapping()
			e.set("job", str(n.job.name))
			e.set("artifacts", boolean(false))
			needs.Content = append(needs.Content, e.n)
		}
		out.set("needs", needs)
	}
	if len(j.vars) > 0 {
		vars := newMapping()
		seen := make(map[string]bool, len(j.vars))
		for _, v := range j.vars {
			if seen[v.key] {
				continue // the generator's SM_* variables come first and win
			}
			seen[v.key] = true
			vars.set(v.key, str(v.value))
		}
		out.set("variables", vars.n)
	}
	if j.tmpl == nil {
		if j.image != "" {
			out.set("image", str(j.image))
		}
		out.set("script", strs(j.script))
	}
	if len(j.tags) > 0 {
		out.set("tags", strs(j.tags))
	}
	if j.resourceGroup != "" {
		out.set("resource_group", str(j.resourceGroup))
	}
	if j.timeout != "" {
		out.set("timeout", str(j.timeout))
	}
	if r := m.Pipeline.Retry; r.Max > 0 {
		out.set("retry", retryNode(r))
	}
	if m.Pipeline.Interruptible && !j.cluster {
		// Cluster jobs stay non-interruptible. On a new commit GitLab's
		// auto-cancel (app/services/ci/pipeline_creation/
		// cancel_redundant_pipelines_service.rb) judges each pipeline of a
		// hierarchy on its own, children included: in the default
		// `conservative` mode it cancels a pipeline only when none of its
		// started (running, success, failed) jobs is non-interruptible
		// (Ci::Pipeline.conservative_interruptible), and a cancelled
		// pipeline's when: always teardown never runs. With a started
		// provision or connect job that is not interruptible the child is
		// left to finish, teardown included. In the `interruptible` mode
		// only interruptible jobs are cancelled (safe_cancellation in
		// app/services/ci/cancel_pipeline_service.rb): the feature jobs
		// stop, the teardown is not cancelled and runs once its needs end.
		out.set("interruptible", boolean(true))
	}
	if j.when != "" {
		out.set("when", str(j.when))
	}
	if j.allowFailure {
		out.set("allow_failure", boolean(true))
	}
	return out.n, nil
}

func retryNode(r matrix.Retry) *yaml.Node {
	retry := newMapping()
	retry.set("max", integer(r.Max))
	if len(r.When) > 0 {
		retry.set("when", strs(r.When))
	}
	return retry.n
}

// encodedChain is one chain's jobs, encoded together as top-level mapping
// entries, with what layout needs to place it.
type encodedChain struct {
	jobs      []*job
	text      []byte
	size      int         // deepSize estimate of the jobs
	templates []*prepared // the templates the jobs extend, in first-use order
}

// encodeChain renders the jobs of one chain with one encoder call.
func encodeChain(m *matrix.Matrix, jobs []*job, fast *fastEncoder) (*encodedChain, error) {
	doc := newMapping()
	c := &encodedChain{jobs: jobs}
	seen := make(map[*prepared]bool)
	for _, j := range jobs {
		n, err := j.node(m)
		if err != nil {
			return nil, err
		}
		doc.set(j.name, n)
		j.entry.Name = j.name
		j.entry.Suite = cicheck.GroupName(j.name)
		if j.tmpl != nil && !seen[j.tmpl] {
			seen[j.tmpl] = true
			c.templates = append(c.templates, j.tmpl)
		}
	}
	text, err := fast.encode(doc.n)
	if err != nil {
		return nil, fmt.Errorf("encode chain %q: %w", jobs[0].name, err)
	}
	c.text = text
	c.size = deepSize(doc.n)
	return c, nil
}
