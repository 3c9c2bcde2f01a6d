package generate

import (
	"fmt"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Step names of the jobs the generator adds around the features: a cluster
// step's word (results.Step*, what collect records) and clusterSuffix. They
// contain a space, so no feature id (^[a-z0-9][a-z0-9-]*$) can collide.
const (
	clusterSuffix = " cluster"
	stepProvision = results.StepProvision + clusterSuffix
	stepConnect   = results.StepConnect + clusterSuffix
	stepTeardown  = results.StepTeardown + clusterSuffix
	stepUpgrade   = results.StepUpgrade + clusterSuffix
	stepWait      = "wait"
)

// builder turns the plan into chains of jobs.
type builder struct {
	m      *matrix.Matrix
	plan   *matrix.Plan
	run    map[string]bool
	tc     *templateCache
	chains [][]*job
	// nothing: no cell runs, and the one job says so (nothingToRun).
	nothing bool
	order   []*matrix.Feature                  // features in needs order
	cells   map[string]map[string]*matrix.Cell // chain id -> feature id -> cell
	// featureTemplates are the features' templates, prepared (tc.get).
	featureTemplates map[*matrix.Feature]*prepared
	// jobs hands out new jobs from a block (newJob).
	jobs []job
}

// jobName names a job of a chain: "gke 1.35: deploy",
// "k3s 1.34->1.35: upgrade cluster".
//
// Each job is its own group in GitLab's sense (app/models/commit_status.rb
// group_name strips a trailing ": [...]", " 1/3" or " 1:3"; the label ends
// in a minor such as 1.35, and step names are feature ids or words), and
// GitLab names the test suite of a job's JUnit reports after its group
// (app/models/ci/build.rb test_suite_name). So every job's reports are a
// suite of their own, named exactly as the job: the contract with collect,
// which credits a suite to the one job whose manifest entry names it
// (ManifestJob.Suite). "gke 1.35: [deploy]" would put a whole chain in one
// suite "gke 1.35", and an upgrade chain's cases would be credited to every
// job of the chain. pkg/cicheck's one-suite-per-job rule checks every file.
func jobName(label, step string) string { return label + ": " + step }

// chain is the context shared by the jobs of one chain.
type chain struct {
	label string // "gke 1.35", the group GitLab shows
	id    string // SM_CELL of the prepare and cleanup jobs
	d     *matrix.Distribution
	sm    []kv // SM_* variables (and KUBE_CONTEXT) of the chain's next jobs
	dist  []kv // the distribution's variables
	jobs  []*job
}

func (b *builder) build() error {
	b.order = b.m.NeedsOrder()
	b.cells = make(map[string]map[string]*matrix.Cell)
	for _, c := range b.plan.Cells {
		byFeature := b.cells[c.Chain()]
		if byFeature == nil {
			byFeature = make(map[string]*matrix.Cell, len(b.m.Features))
			b.cells[c.Chain()] = byFeature
		}
		byFeature[c.Feature.ID] = c
	}
	upgrades := make(map[*matrix.Distribution][]*matrix.UpgradeCell)
	for _, u := range b.plan.Upgrades {
		upgrades[u.Distribution] = append(upgrades[u.Distribution], u)
	}
	skews := make(map[*matrix.Distribution][]*matrix.SkewCell)
	for _, s := range b.plan.Skews {
		skews[s.Distribution] = append(skews[s.Distribution], s)
	}
	for _, d := range b.m.Distributions {
		for _, v := range b.m.OfferedMinors(d) {
			if err := b.cellChain(d, v); err != nil {
				return err
			}
		}
		for _, u := range upgrades[d] {
			if b.run[u.ID] {
				if err := b.upgradeChain(u); err != nil {
					return err
				}
			}
		}
		for _, s := range skews[d] {
			if b.run[s.ID] {
				if err := b.skewChain(s); err != nil {
					return err
				}
			}
		}
	}
	if len(b.chains) == 0 {
		b.chains = append(b.chains, []*job{nothingToRun(b.m)})
		b.nothing = true
	}
	return nil
}

// cellsOf returns the plan's cells of distribution d at minor v, by feature id.
func (b *builder) cellsOf(d *matrix.Distribution, v matrix.Minor) map[string]*matrix.Cell {
	return b.cells[d.ID+"/"+v.String()]
}

func (b *builder) newChain(d *matrix.Distribution, label, id string, vars ...kv) (*chain, error) {
	c := &chain{label: label, id: id, d: d}
	c.sm = append([]kv{{"SM_DISTRIBUTION", d.ID}}, vars...)
	for _, v := range d.Variables {
		if err := checkVariable(d.ID, v.Key); err != nil {
			return nil, err
		}
		c.dist = append(c.dist, kv{v.Key, v.Value})
	}
	return c, nil
}

// vars returns a job's variables: SM_CELL, SM_FEATURE (feature jobs), the
// chain's SM_* variables as they are now, then the distribution's.
func (c *chain) vars(cell, feature string) jobVars {
	return jobVars{cell: cell, feature: feature, sm: c.sm, dist: c.dist}
}

func minorVars(v matrix.Minor) []kv {
	return []kv{{"SM_K8S_VERSION", v.String()}, {"SM_K8S_MINOR", v.Dashed()}}
}

// cellChain lays out the selected cells of one distribution × minor.
func (b *builder) cellChain(d *matrix.Distribution, v matrix.Minor) error {
	vs := v.String() // formatted once: every job of the chain names it
	id := d.ID + "/" + vs
	cells := b.cells[id]
	features := make([]*matrix.Cell, 0, len(b.order))
	for _, f := range b.order {
		if c := cells[f.ID]; c != nil && !c.Excluded() && b.run[c.ID] {
			features = append(features, c)
		}
	}
	if len(features) == 0 {
		return nil
	}
	vars := minorVars(v)
	if d.Cluster.Type == matrix.ClusterPermanent {
		vars = append(vars, kv{"KUBE_CONTEXT", d.Cluster.ContextFor(v)})
	}
	c, err := b.newChain(d, d.ID+" "+vs, id, vars...)
	if err != nil {
		return err
	}
	chainEntry := ManifestJob{Cell: c.id, Distribution: d.ID, Kubernetes: vs, Action: string(matrix.ActionRun)}
	prepare, err := b.prepareJob(c, chainEntry)
	if err != nil {
		return err
	}
	byFeature := make(map[string]*job, len(features))
	base := []*job{prepare}
	var group string
	if d.Cluster.Type == matrix.ClusterPermanent {
		group = clusterResourceGroup(c.id)
	}
	for _, cell := range features {
		entry := ManifestJob{Kind: KindTest, Cell: cell.ID, Distribution: d.ID, Kubernetes: vs, Feature: cell.Feature.ID}
		j, err := b.featureJob(c, cell.ID, cell.Feature, cell.Action, entry, base, byFeature)
		if err != nil {
			return err
		}
		j.resourceGroup = group
		byFeature[cell.Feature.ID] = j
	}
	return b.cleanup(c, prepare, chainEntry)
}

// clusterResourceGroup is the resource group of the jobs that use the
// permanent cluster of a distribution × minor ("supportmatrix/gke/1.35").
// A permanent cluster outlives pipelines and is shared by all of them: a
// merge request's deploy and the nightly's pod-logs would otherwise run on
// it, in the same namespace, at once. GitLab runs one job of a resource
// group at a time across every pipeline of the project
// (app/models/ci/resource_group.rb), so two pipelines never act on one
// cluster at the same time; a group per cell would serialise only the same
// feature. The project sets the group's process_mode to oldest_first
// (PUT /projects/:id/resource_groups/:key, README "In GitLab CI") so that
// the older pipeline's jobs go first.
func clusterResourceGroup(chain string) string { return "supportmatrix/" + chain }

// upgradeChain provisions the from-minor, upgrades to the next minor,
// re-runs the verify features and tears down.
func (b *builder) upgradeChain(u *matrix.UpgradeCell) error {
	d := u.Distribution
	fromTo := []kv{{"SM_FROM_VERSION", u.From.String()}, {"SM_TO_VERSION", u.To.String()}}
	// The cluster runs the from-minor until the upgrade job is done.
	c, err := b.newChain(d, d.ID+" "+u.From.String()+"->"+u.To.String(), u.ID, append(minorVars(u.From), fromTo...)...)
	if err != nil {
		return err
	}
	entry := ManifestJob{Cell: u.ID, Distribution: d.ID, From: u.From.String(), To: u.To.String(), Action: string(matrix.ActionRun)}
	prepare, err := b.prepareJob(c, entry)
	if err != nil {
		return err
	}
	c.sm = append([]kv{{"SM_DISTRIBUTION", d.ID}}, append(minorVars(u.To), fromTo...)...)
	up, err := b.templateJob(c, jobs.UpgradePath, roleCluster, stepUpgrade, stageUpgrade, b.m.Upgrades.Pos, "upgrades")
	if err != nil {
		return err
	}
	up.needs = []need{{job: prepare, artifacts: true}}
	up.entry = entry
	up.entry.Kind = KindUpgrade
	if err := b.verify(c, u.To, u.Verify, entry, KindUpgrade, []*job{prepare, up}); err != nil {
		return err
	}
	return b.cleanup(c, prepare, entry)
}

// skewChain provisions a control plane at N with nodes at an older minor,
// runs the verify features and tears down.
func (b *builder) skewChain(s *matrix.SkewCell) error {
	d := s.Distribution
	vars := append(minorVars(s.ControlPlane), kv{"SM_NODES_VERSION", s.Nodes.String()})
	c, err := b.newChain(d, d.ID+" "+s.ControlPlane.String()+" nodes "+s.Nodes.String(), s.ID, vars...)
	if err != nil {
		return err
	}
	entry := ManifestJob{Cell: s.ID, Distribution: d.ID, Kubernetes: s.ControlPlane.String(), Nodes: s.Nodes.String(), Action: string(matrix.ActionRun)}
	prepare, err := b.prepareJob(c, entry)
	if err != nil {
		return err
	}
	if err := b.verify(c, s.ControlPlane, s.Verify, entry, KindTest, []*job{prepare}); err != nil {
		return err
	}
	return b.cleanup(c, prepare, entry)
}

// verify adds the verify features of an upgrade or skew chain, in needs
// order, each with the action its cell has at minor v; excluded cells are
// left out.
func (b *builder) verify(c *chain, v matrix.Minor, verify []*matrix.Feature, entry ManifestJob, kind string, base []*job) error {
	cells := b.cellsOf(c.d, v)
	in := make(map[string]bool, len(verify))
	for _, f := range verify {
		in[f.ID] = true
	}
	byFeature := make(map[string]*job)
	for _, f := range b.order {
		cell := cells[f.ID]
		if !in[f.ID] || cell == nil || cell.Excluded() {
			continue
		}
		e := entry
		e.Kind = kind
		e.Feature = f.ID
		e.Action = ""
		j, err := b.featureJob(c, c.id, f, cell.Action, e, base, byFeature)
		if err != nil {
			return err
		}
		byFeature[f.ID] = j
	}
	return nil
}

// prepareJob adds the chain's first job: provision (ephemeral) or connect
// (permanent).
func (b *builder) prepareJob(c *chain, entry ManifestJob) (*job, error) {
	rel, step := jobs.ConnectPath, stepConnect
	at, elem := c.d.Cluster.Pos, "distributions."+c.d.ID+".cluster"
	if c.d.Cluster.Type == matrix.ClusterEphemeral {
		rel, step = jobs.ClusterPath(c.d.Cluster.Provision), stepProvision
		at, elem = c.d.Cluster.ProvisionPos, elem+".provision"
	}
	j, err := b.templateJob(c, rel, roleCluster, step, stagePrepare, at, elem)
	if err != nil {
		return nil, err
	}
	j.needs = []need{} // start at once, whatever the stages
	j.entry = entry
	j.entry.Kind = KindPrepare
	return j, nil
}

// featureJob adds a feature's job: it needs the chain's base jobs and the
// jobs of the features it needs.
func (b *builder) featureJob(c *chain, cellID string, f *matrix.Feature, action matrix.Action, entry ManifestJob, base []*job, byFeature map[string]*job) (*job, error) {
	p := b.featureTemplates[f]
	if p == nil {
		var err error
		if p, err = b.tc.get(jobs.FeaturePath(f.Template), roleFeature); err != nil {
			return nil, fmt.Errorf("%s: features.%s.template: %w", f.TemplatePos, f.ID, err)
		}
		if b.featureTemplates == nil {
			b.featureTemplates = make(map[*matrix.Feature]*prepared)
		}
		b.featureTemplates[f] = p
	}
	j := b.add(c, p, roleFeature, f.ID, stageTest)
	j.vars = c.vars(cellID, f.ID)
	if n := len(base) + len(f.Needs); n > 0 {
		j.needs = make([]need, 0, n) // nil stays nil: no needs key
	}
	for _, p := range base {
		j.needs = append(j.needs, need{job: p, artifacts: true})
	}
	// Within max_needs (nearly always) the needs go straight to the job;
	// past it they are reduced first.
	within := len(base)+len(f.Needs) <= b.m.Pipeline.Limits.MaxNeeds
	var featureNeeds []*job
	for _, n := range f.Needs {
		dep := byFeature[n]
		if dep == nil {
			return nil, fmt.Errorf("%s: features.%s.needs: in %s, %s needs %s, which is not in the chain", f.NeedsPos, f.ID, c.label, f.ID, n)
		}
		if within {
			j.needs = append(j.needs, need{job: dep})
			continue
		}
		featureNeeds = append(featureNeeds, dep)
	}
	if !within {
		if featureNeeds = reduce(featureNeeds); len(base)+len(featureNeeds) > b.m.Pipeline.Limits.MaxNeeds {
			return nil, fmt.Errorf("%s: features.%s.needs: job %q would need %d jobs, more than pipeline.limits.max_needs %d", f.NeedsPos, f.ID, j.name, len(base)+len(featureNeeds), b.m.Pipeline.Limits.MaxNeeds)
		}
		for _, dep := range featureNeeds {
			j.needs = append(j.needs, need{job: dep})
		}
	}
	if f.Timeout != nil {
		j.timeout = f.Timeout.Text
	}
	switch action {
	case matrix.ActionManual:
		j.when = "manual"
		j.allowFailure = true
	case matrix.ActionAllowFailure:
		j.allowFailure = true
	}
	j.entry = entry
	j.entry.Action = string(action)
	return j, nil
}

// reduce drops the jobs that another job of the list needs, transitively:
// waiting for the later one waits for them too.
func reduce(jobs []*job) []*job {
	implied := make(map[*job]bool)
	var mark func(j *job)
	mark = func(j *job) {
		for _, n := range j.needs {
			if !implied[n.job] {
				implied[n.job] = true
				mark(n.job)
			}
		}
	}
	for _, j := range jobs {
		mark(j)
	}
	var out []*job
	for _, j := range jobs {
		if !implied[j] {
			out = append(out, j)
		}
	}
	return out
}

// cleanup adds the teardown of an ephemeral chain: it always runs, after
// every job of the chain that does not wait for a person. A job that needs
// a manual job would wait for it, and so would the teardown: manual jobs
// (and the jobs that need them) are left out, so an unplayed manual job
// never keeps a cluster alive. Played later, such a job finds the cluster
// gone and fails; that is why manual cells suit permanent clusters.
// Permanent clusters have no cleanup job: they outlive the pipeline.
func (b *builder) cleanup(c *chain, prepare *job, entry ManifestJob) error {
	defer func() { b.chains = append(b.chains, c.jobs) }()
	if c.d.Cluster.Type != matrix.ClusterEphemeral {
		return nil
	}
	gated := make(map[*job]bool)
	neededByOthers := make(map[*job]bool)
	for _, j := range c.jobs {
		if j == prepare {
			continue
		}
		if j.when == "manual" {
			gated[j] = true
		}
		for _, n := range j.needs {
			if gated[n.job] {
				gated[j] = true
			}
		}
	}
	for _, j := range c.jobs {
		if gated[j] {
			continue
		}
		for _, n := range j.needs {
			neededByOthers[n.job] = true
		}
	}
	var sinks []*job
	for _, j := range c.jobs {
		if j != prepare && !gated[j] && !neededByOthers[j] {
			sinks = append(sinks, j)
		}
	}
	max := b.m.Pipeline.Limits.MaxNeeds
	for round := 1; len(sinks)+1 > max; round++ {
		var joins []*job
		for i := 0; i < len(sinks); i += max {
			group := sinks[i:min(i+max, len(sinks))]
			w := &job{
				name:    fmt.Sprintf("%s: %s %d.%d", c.label, stepWait, round, len(joins)+1),
				stage:   stageCleanup,
				vars:    c.vars(c.id, ""),
				script:  []string{"echo waited for the chain's jobs"},
				image:   b.m.Pipeline.Image,
				tags:    c.d.Tags,
				when:    "always",
				cluster: true,
				entry:   entry,
			}
			w.entry.Kind = KindCleanup
			for _, g := range group {
				w.needs = append(w.needs, need{job: g})
			}
			c.jobs = append(c.jobs, w)
			joins = append(joins, w)
		}
		sinks = joins
	}
	t, err := b.templateJob(c, jobs.ClusterPath(c.d.Cluster.Teardown), roleCluster, stepTeardown, stageCleanup, c.d.Cluster.TeardownPos, "distributions."+c.d.ID+".cluster.teardown")
	if err != nil {
		return err
	}
	t.needs = []need{{job: prepare, artifacts: true}}
	for _, s := range sinks {
		t.needs = append(t.needs, need{job: s})
	}
	t.when = "always"
	t.entry = entry
	t.entry.Kind = KindCleanup
	return nil
}

// templateJob adds a job built from a template to the chain. at and elem
// name the matrix line that chose the template: a template error is
// reported there, once (the template set names the file itself).
func (b *builder) templateJob(c *chain, rel string, r role, step, stage string, at matrix.Pos, elem string) (*job, error) {
	p, err := b.tc.get(rel, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", at, elem, err)
	}
	return b.add(c, p, r, step, stage), nil
}

// add adds a job that extends the prepared template to the chain.
func (b *builder) add(c *chain, p *prepared, r role, step, stage string) *job {
	j := b.newJob()
	*j = job{
		name:    jobName(c.label, step),
		stage:   stage,
		vars:    c.vars(c.id, ""),
		tmpl:    p,
		tags:    c.d.Tags,
		cluster: r == roleCluster,
	}
	c.jobs = append(c.jobs, j)
	return j
}

// newJob returns a zero job from a block of them: one allocation for
// hundreds of jobs.
func (b *builder) newJob() *job {
	if len(b.jobs) == 0 {
		b.jobs = make([]job, 256)
	}
	j := &b.jobs[0]
	b.jobs = b.jobs[1:]
	return j
}

// nothingToRun is the single job of a pipeline with no cell to run (a
// merge request that changes no job): GitLab refuses an empty pipeline.
func nothingToRun(m *matrix.Matrix) *job {
	return &job{
		name:   "no cell to run",
		stage:  stagePrepare,
		script: []string{"echo 'The change runs no cell: nothing in it shapes a job.'"},
		image:  m.Pipeline.Image,
		entry:  ManifestJob{Kind: KindPrepare},
	}
}
