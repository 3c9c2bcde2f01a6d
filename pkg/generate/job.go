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

// jobVars are a job's variables, in order: SM_CELL, SM_FEATURE when set,
// the chain's SM_* variables, then the distribution's. The chain's slices
// are shared by its jobs, not copied.
type jobVars struct {
	cell, feature string
	sm, dist      []kv
}

func (v *jobVars) len() int {
	if v.cell == "" && v.feature == "" && v.sm == nil && v.dist == nil {
		return 0
	}
	n := 1 + len(v.sm) + len(v.dist)
	if v.feature != "" {
		n++
	}
	return n
}

// at returns the i-th variable.
func (v *jobVars) at(i int) kv {
	if i == 0 {
		return kv{"SM_CELL", v.cell}
	}
	i--
	if v.feature != "" {
		if i == 0 {
			return kv{"SM_FEATURE", v.feature}
		}
		i--
	}
	if i < len(v.sm) {
		return v.sm[i]
	}
	return v.dist[i-len(v.sm)]
}

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
	vars          jobVars
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
	// nameNode and afterNode are the job's name scalar and its
	// {job: name, artifacts: false} need in the check trees (checkTrees),
	// built once and shared by the jobs that need it.
	nameNode, afterNode *yaml.Node
}

// retryNode is the one definition of a generated job's retry keys (cell
// jobs through the writer, the provide and report jobs as trees): nil when
// the matrix asks for no retries, so the key is left out.
func retryNode(r matrix.Retry) *yaml.Node {
	if r.Max <= 0 {
		return nil
	}
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
	text      []byte      // nil when only counted
	bytes     int         // the length of text
	high      int         // bytes of text from 144 up (archiveBound)
	size      int         // deepSize estimate of the jobs
	templates []*prepared // the templates the jobs extend, in first-use order
}

// encodeChain writes the jobs of one chain (writer.go) and fills in their
// manifest entries; with keep false it only measures them and keeps no
// text.
func encodeChain(m *matrix.Matrix, jobs []*job, w *writer, keep bool) (*encodedChain, error) {
	c := &encodedChain{jobs: jobs}
	seen := make(map[*prepared]bool)
	w.buf, w.size = w.buf[:0], sizeMapping
	for _, j := range jobs {
		w.writeJob(j, m)
		j.entry.Name = j.name
		j.entry.Suite = cicheck.GroupName(j.name)
		if j.tmpl != nil && !seen[j.tmpl] {
			seen[j.tmpl] = true
			c.templates = append(c.templates, j.tmpl)
		}
	}
	if w.err != nil {
		return nil, fmt.Errorf("encode chain %q: %w", jobs[0].name, w.err)
	}
	if keep {
		c.text = append([]byte(nil), w.buf...)
	}
	c.bytes, c.high, c.size = len(w.buf), highBytes(w.buf), w.size
	return c, nil
}
