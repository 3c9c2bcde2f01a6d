package generate

import (
	"fmt"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"go.yaml.in/yaml/v3"
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

// job is one generated job before and after encoding.
type job struct {
	name          string
	stage         string
	needs         []need // nil: no needs key; empty: needs: []
	vars          []kv
	tmpl          *prepared // the template body, or nil for generated jobs
	script        []string  // generated jobs only; never holds a matrix value
	image         string    // generated jobs only
	tags          []string
	resourceGroup string
	timeout       string
	when          string
	allowFailure  bool
	entry         ManifestJob

	text []byte // the encoded job, a top-level mapping entry
	size int    // deepSize estimate of the job
}

// encode renders the job: its name, the keys it owns before the template
// body (stage, needs, variables), the template body, then the keys it owns
// after it. Key order is fixed.
func (j *job) encode(m *matrix.Matrix) error {
	if len(j.name) > MaxJobName {
		return fmt.Errorf("job name %q is longer than GitLab's %d characters", j.name, MaxJobName)
	}
	for _, n := range j.needs {
		if len(n.job.name) > MaxNeededJobName {
			return fmt.Errorf("job %q needs %q, whose name is longer than GitLab's %d characters for a needed job", j.name, n.job.name, MaxNeededJobName)
		}
	}
	head := newMapping()
	head.set("stage", str(j.stage))
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
		head.set("needs", needs)
	}
	vars := newMapping()
	seen := make(map[string]bool, len(j.vars))
	for _, v := range j.vars {
		if seen[v.key] {
			continue // the generator's SM_* variables come first and win
		}
		seen[v.key] = true
		vars.set(v.key, str(v.value))
	}
	if j.tmpl != nil {
		for i := 0; i+1 < len(j.tmpl.vars); i += 2 {
			if k := j.tmpl.vars[i].Value; !seen[k] {
				seen[k] = true
				vars.n.Content = append(vars.n.Content, j.tmpl.vars[i], j.tmpl.vars[i+1])
			}
		}
	}
	if len(vars.n.Content) > 0 {
		head.set("variables", vars.n)
	}
	if j.tmpl == nil {
		if j.image != "" {
			head.set("image", str(j.image))
		}
		head.set("script", strs(j.script))
	}
	tail := newMapping()
	if len(j.tags) > 0 {
		tail.set("tags", strs(j.tags))
	}
	if j.resourceGroup != "" {
		tail.set("resource_group", str(j.resourceGroup))
	}
	if j.timeout != "" {
		tail.set("timeout", str(j.timeout))
	}
	if r := m.Pipeline.Retry; r.Max > 0 {
		retry := newMapping()
		retry.set("max", integer(r.Max))
		if len(r.When) > 0 {
			retry.set("when", strs(r.When))
		}
		tail.set("retry", retry.n)
	}
	if m.Pipeline.Interruptible {
		tail.set("interruptible", boolean(true))
	}
	if j.when != "" {
		tail.set("when", str(j.when))
	}
	if j.allowFailure {
		tail.set("allow_failure", boolean(true))
	}
	return j.render(head.n, tail.n)
}

// render writes name, head, template chunk and tail into j.text.
func (j *job) render(head, tail *yaml.Node) error {
	key, err := keyText(j.name)
	if err != nil {
		return err
	}
	h, err := encode(head)
	if err != nil {
		return fmt.Errorf("encode job %q: %w", j.name, err)
	}
	var t []byte
	if len(tail.Content) > 0 {
		if t, err = encode(tail); err != nil {
			return fmt.Errorf("encode job %q: %w", j.name, err)
		}
	}
	size := len(key) + 2 + len(h) + len(t) + 64
	if j.tmpl != nil {
		size += len(j.tmpl.chunk)
	}
	out := make([]byte, 0, size)
	out = append(out, key...)
	out = append(out, ':', '\n')
	out = indent(out, h)
	if j.tmpl != nil {
		out = append(out, j.tmpl.chunk...)
	}
	out = indent(out, t)
	j.text = out
	j.size = 40 + deepSize(head) + deepSize(tail)
	if j.tmpl != nil {
		j.size += j.tmpl.size
	}
	j.entry.Name = j.name
	return nil
}
