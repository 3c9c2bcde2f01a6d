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
	falseN   *yaml.Node
	trueN    *yaml.Node
	// extends, needs, script, interruptible, when: the keys of job
	// trees, looked up once.
	kExtends, kNeeds, kScript, kInterruptible, kWhen *yaml.Node
	nodes                                            nodeBlocks
}

// nodeBlocks hands out nodes and Content slots from blocks: the trees of
// thousands of jobs cost a few allocations, not several per job.
type nodeBlocks struct {
	free  []yaml.Node
	slots []*yaml.Node
}

// node returns a new node of the kind.
func (b *nodeBlocks) node(kind yaml.Kind) *yaml.Node {
	if len(b.free) == 0 {
		b.free = make([]yaml.Node, 1024)
	}
	n := &b.free[0]
	b.free = b.free[1:]
	n.Kind = kind
	return n
}

// content returns an empty Content slice with room for n nodes.
func (b *nodeBlocks) content(n int) []*yaml.Node {
	if len(b.slots) < n {
		b.slots = make([]*yaml.Node, max(n, 8192))
	}
	c := b.slots[:0:n]
	b.slots = b.slots[n:]
	return c
}

func newCheckTrees(m *matrix.Matrix) *checkTrees {
	t := &checkTrees{
		m:        m,
		preamble: preamble(pipelineStages),
		keys:     map[string]*yaml.Node{},
		falseN:   boolean(false),
		trueN:    boolean(true),
	}
	t.kExtends, t.kNeeds, t.kScript, t.kInterruptible, t.kWhen = t.key("extends"), t.key("needs"), t.key("script"), t.key("interruptible"), t.key("when")
	return t
}

func (t *checkTrees) key(k string) *yaml.Node {
	n := t.keys[k]
	if n == nil {
		n = str(k)
		t.keys[k] = n
	}
	return n
}

// name returns the job's name scalar, shared by the jobs that need it.
func (t *checkTrees) name(j *job) *yaml.Node {
	if j.nameNode == nil {
		j.nameNode = str(j.name)
	}
	return j.nameNode
}

// needAfter returns the need {job: name, artifacts: false} on j, shared
// likewise.
func (t *checkTrees) needAfter(j *job) *yaml.Node {
	if j.afterNode == nil {
		j.afterNode = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{t.key("job"), t.name(j), t.key("artifacts"), t.falseN}}
	}
	return j.afterNode
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
	n := t.nodes.node(yaml.MappingNode)
	n.Content = t.nodes.content(10)
	if j.tmpl != nil {
		n.Content = append(n.Content, t.kExtends, j.tmpl.keyNode)
	}
	if j.needs != nil {
		needs := t.nodes.node(yaml.SequenceNode)
		needs.Content = t.nodes.content(len(j.needs))
		for _, nd := range j.needs {
			if nd.artifacts {
				needs.Content = append(needs.Content, t.name(nd.job))
				continue
			}
			needs.Content = append(needs.Content, t.needAfter(nd.job))
		}
		n.Content = append(n.Content, t.kNeeds, needs)
	}
	if j.tmpl == nil {
		n.Content = append(n.Content, t.kScript, strs(j.script))
	}
	if j.interruptible(t.m) {
		n.Content = append(n.Content, t.kInterruptible, t.trueN)
	}
	if j.when != "" {
		n.Content = append(n.Content, t.kWhen, t.key(j.when))
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
