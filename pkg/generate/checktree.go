package generate

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// checkTrees builds what pkg/cicheck reads of the generated files, so
// that GitLab's rules run on every job without parsing thousands of jobs
// back: each file laid out from chains becomes its tree (the preamble,
// the hidden templates, of each job the keys a rule reads, and the
// self-report job whole), the router stays text. TestCheckTreesMatchFiles compares the trees with the
// files read back.
type checkTrees struct {
	m        *matrix.Matrix
	preamble *yaml.Node
	keys     map[string]*yaml.Node // key scalars, shared by every job
	names    map[*job]*yaml.Node   // job name scalars, shared by the jobs that need them
	after    map[*job]*yaml.Node   // {job: name, artifacts: false} needs, shared likewise
	falseN   *yaml.Node
	trueN    *yaml.Node
}

func newCheckTrees(m *matrix.Matrix) *checkTrees {
	return &checkTrees{
		m:        m,
		preamble: preamble(pipelineStages),
		keys:     map[string]*yaml.Node{},
		names:    map[*job]*yaml.Node{},
		after:    map[*job]*yaml.Node{},
		falseN:   boolean(false),
		trueN:    boolean(true),
	}
}

func (t *checkTrees) key(k string) *yaml.Node {
	n := t.keys[k]
	if n == nil {
		n = str(k)
		t.keys[k] = n
	}
	return n
}

func (t *checkTrees) name(j *job) *yaml.Node {
	n := t.names[j]
	if n == nil {
		n = str(j.name)
		t.names[j] = n
	}
	return n
}

// needAfter returns the need {job: name, artifacts: false} on j.
func (t *checkTrees) needAfter(j *job) *yaml.Node {
	n := t.after[j]
	if n == nil {
		n = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{t.key("job"), t.name(j), t.key("artifacts"), t.falseN}}
		t.after[j] = n
	}
	return n
}

// file returns the tree of a laid-out file.
func (t *checkTrees) file(f *file) *yaml.Node {
	root := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, len(t.preamble.Content)+2*(len(f.templates)+f.jobs))}
	root.Content = append(root.Content, t.preamble.Content...)
	for _, p := range f.templates {
		root.Content = append(root.Content, t.key(p.key), p.body)
	}
	for _, c := range f.chains {
		for _, j := range c.jobs {
			root.Content = append(root.Content, t.name(j), t.job(j))
		}
	}
	if f.report != nil {
		root.Content = append(root.Content, f.report.tree.Content...)
	}
	return root
}

// job returns the keys of the job that a rule reads (cicheck.ReadsJobKey),
// as the writer writes them.
func (t *checkTrees) job(j *job) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, 8)}
	set := func(k string, v *yaml.Node) { n.Content = append(n.Content, t.key(k), v) }
	if j.tmpl != nil {
		set("extends", t.key(j.tmpl.key))
	}
	if j.needs != nil {
		needs := &yaml.Node{Kind: yaml.SequenceNode, Content: make([]*yaml.Node, len(j.needs))}
		for i, nd := range j.needs {
			if nd.artifacts {
				needs.Content[i] = t.name(nd.job)
				continue
			}
			needs.Content[i] = t.needAfter(nd.job)
		}
		set("needs", needs)
	}
	if j.tmpl == nil {
		set("script", strs(j.script))
	}
	if j.interruptible(t.m) {
		set("interruptible", t.trueN)
	}
	if j.when != "" {
		set("when", t.key(j.when))
	}
	return n
}

// checkFiles runs GitLab's rules (pkg/cicheck) on the generated files and
// refuses them when one breaks a rule: every file runs as a child of a
// merge-request pipeline on the matrix's pipeline.gitlab, and the cluster
// jobs are the ones the generator marked. laid holds, beside each of
// out.Files, the file laid out from chains (checked as its tree) or nil
// (checked as text).
func checkFiles(m *matrix.Matrix, out *Output, laid []*file, chains [][]*job) error {
	cluster := map[string]bool{}
	for _, c := range chains {
		for _, j := range c {
			if j.cluster {
				cluster[j.name] = true
			}
		}
	}
	trees := newCheckTrees(m)
	var files []cicheck.File
	for i, f := range out.Files {
		cf := cicheck.File{Name: f.Name, Data: f.Data, Child: true}
		if i < len(laid) && laid[i] != nil {
			cf.Tree = trees.file(laid[i])
		}
		files = append(files, cf)
	}
	if err := cicheck.Files(files, cicheck.Options{GitLab: m.Pipeline.GitLab, ClusterJobs: cluster}); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return nil
}
