// Package matrix reads, validates and expands a support matrix file
// (schema supportmatrix/v1) into cells: one per distribution, offered
// Kubernetes minor and feature area, plus upgrade and skew cells.
//
// Loading is strict and line-precise: every problem names the file, line,
// column, element path and rule, and all problems are reported at once.
// Maps keep the order they have in the file; that order is the order of rows,
// columns and jobs everywhere downstream.
package matrix

import (
	"fmt"
	"time"

	version "github.com/hashicorp/go-version"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// Schema is the only matrix schema this package reads.
const Schema = "supportmatrix/v1"

// Tier is a distribution's support tier.
type Tier string

// The tiers, from most to least supported.
const (
	TierOfficial   Tier = "official"
	TierBeta       Tier = "beta"
	TierCommunity  Tier = "community"
	TierDeprecated Tier = "deprecated"
)

// Tiers lists the valid tiers in order of strength.
var Tiers = []Tier{TierOfficial, TierBeta, TierCommunity, TierDeprecated}

// Action says what a rule, or the expansion, does with a cell.
type Action string

// The actions. Run is the default of a cell no rule matched.
const (
	ActionRun          Action = "run"
	ActionAllowFailure Action = "allow_failure"
	ActionManual       Action = "manual"
	ActionExclude      Action = "exclude"
)

// ClusterType tells whether a distribution's test cluster lives on between
// pipelines (permanent, reached through a GitLab agent context) or is made and
// destroyed by each pipeline (ephemeral).
type ClusterType string

// The cluster types.
const (
	ClusterPermanent ClusterType = "permanent"
	ClusterEphemeral ClusterType = "ephemeral"
)

// Matrix is a loaded, defaulted and validated matrix file.
type Matrix struct {
	File          string
	Schema        string
	Kubernetes    Kubernetes
	Distributions []*Distribution
	Features      []*Feature
	Rules         []*Rule
	Upgrades      *Upgrades // nil when the file has no upgrades section
	Profiles      []Profile
	Policy        []*Policy
	Pipeline      Pipeline
}

// Kubernetes is the kubernetes section: the minors the program covers.
type Kubernetes struct {
	Versions []Minor
	// Extended lists minors kept past their upstream end of life because a
	// vendor still supports them (EKS extended support, GKE Extended channel),
	// each with the reason, in file order.
	Extended []Extended
	// AdoptWithin is how long after an upstream release the matrix may lack
	// the new minor before `versions --check` fails (default 90 days).
	AdoptWithin Duration
	Pos         Pos
}

// Extended is one minor kept for vendors' extended support.
type Extended struct {
	Minor  Minor
	Reason string
}

// Minor is a Kubernetes minor version such as 1.35.
type Minor struct {
	Major, Minor int
	Pos          Pos
	v            *version.Version // parsed once, for constraint checks
}

// NewMinor returns the minor major.minor.
func NewMinor(major, minor int) Minor {
	m := Minor{Major: major, Minor: minor}
	m.v = m.Version()
	return m
}

// String renders the minor as "1.35".
func (m Minor) String() string { return fmt.Sprintf("%d.%d", m.Major, m.Minor) }

// Dashed renders the minor as "1-35", for names where dots are awkward.
func (m Minor) Dashed() string { return fmt.Sprintf("%d-%d", m.Major, m.Minor) }

// Less orders minors as versions: 1.9 < 1.10.
func (m Minor) Less(o Minor) bool {
	if m.Major != o.Major {
		return m.Major < o.Major
	}
	return m.Minor < o.Minor
}

// Equal compares the version, ignoring the position.
func (m Minor) Equal(o Minor) bool { return m.Major == o.Major && m.Minor == o.Minor }

// Version returns the minor as a go-version value (1.35.0) for constraint checks.
func (m Minor) Version() *version.Version {
	if m.v != nil {
		return m.v
	}
	v, _ := version.NewVersion(m.String())
	return v
}

// Constraint is a hashicorp/go-version constraint with its source text.
type Constraint struct {
	Text string
	C    version.Constraints
	Pos  Pos
}

// Allows reports whether the minor satisfies the constraint. An empty
// constraint allows every minor.
func (c *Constraint) Allows(m Minor) bool {
	if c == nil || c.C == nil {
		return true
	}
	return c.C.Check(m.Version())
}

// Duration is a GitLab-syntax duration ("45m", "1h 30m", "8d") with its source text.
type Duration struct {
	Text string
	D    time.Duration
	Pos  Pos
}

// KV is one entry of an ordered string map.
type KV struct {
	Key, Value string
	Pos        Pos
}

// Distribution is one Kubernetes distribution under test.
type Distribution struct {
	ID         string
	Name       string
	Tier       Tier
	Kubernetes *Constraint // nil: offers every matrix minor
	// Lifecycle names the vendor calendar the distribution follows
	// (amazon-eks, red-hat-openshift, k3s; pkg/kube's lifecycle catalog),
	// "none" for one that follows no vendor's (on-premises, self-built),
	// or "" when the matrix does not say.
	Lifecycle    string
	LifecyclePos Pos
	ReleaseNames []ReleaseName
	Cluster      Cluster
	Tags         []string
	Variables    []KV
	Settings     []Setting
	// SettingsDeclared tells a distribution tested on its defaults
	// (`settings: []`, which meets the settings requirement) from one whose
	// file says nothing about settings (a gap).
	SettingsDeclared bool
	Docs             string
	DocsPos          Pos
	Skew             *Skew // nil: no skew cells
	// Owners are the GitLab users and groups answerable for the
	// distribution's cells: alert issues mention them (owners key).
	Owners []Owner
	Pos    Pos
}

// ReleaseName is a distribution's own name for a minor (OpenShift 4.22 for 1.35).
type ReleaseName struct {
	Minor Minor
	Name  string
}

// ReleaseName returns the distribution's name for the minor, or "".
func (d *Distribution) ReleaseName(m Minor) string {
	for _, r := range d.ReleaseNames {
		if r.Minor.Equal(m) {
			return r.Name
		}
	}
	return ""
}

// Setting is one tested setting that differs from the distribution's defaults.
type Setting struct {
	Text string
	Pos  Pos
}

// Cluster says how jobs reach a distribution's cluster.
type Cluster struct {
	Type ClusterType
	// Context is the GitLab agent context of a permanent cluster; "{minor}"
	// stands for the dashed minor (1-35).
	Context string
	// Provision and Teardown name jobs/clusters/<name>.yml of an ephemeral cluster.
	Provision string
	Teardown  string
	Pos       Pos
	// ContextPos, ProvisionPos and TeardownPos are where the file sets
	// each (the cluster's position when it does not).
	ContextPos   Pos
	ProvisionPos Pos
	TeardownPos  Pos
}

// ContextFor returns the agent context for the minor, with {minor} replaced.
func (c Cluster) ContextFor(m Minor) string {
	out := []byte{}
	s := c.Context
	for i := 0; i < len(s); i++ {
		if len(s)-i >= 7 && s[i:i+7] == "{minor}" {
			out = append(out, m.Dashed()...)
			i += 6
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Skew asks for version-skew cells on an ephemeral distribution: the control
// plane at each offered minor N with nodes at N-1 ... N-MaxBehind.
type Skew struct {
	MaxBehind int      // 1..3, the upstream kubelet skew policy
	Verify    []string // features run against the skewed cluster
	Pos       Pos
}

// Feature is one feature area of the product.
type Feature struct {
	ID       string
	Name     string
	Template string // jobs/features/<Template>.yml
	// TemplatePos is where the file names the template, or the feature's
	// key when the template is the feature id.
	TemplatePos Pos
	Kubernetes  *Constraint
	Needs       []string
	NeedsPos    Pos
	Blocking    bool
	Timeout     *Duration
	// Owners are the GitLab users and groups answerable for the feature
	// on every distribution (owners key; optional): an alert about the
	// feature mentions them beside the distribution's owners.
	Owners []Owner
	Pos    Pos
}

// Rule adjusts the cells it matches; the first matching rule wins.
type Rule struct {
	Index        int // 0-based position in the rules list
	Distribution []string
	Feature      []string
	MatchPos     Pos // the match mapping, for problems about what it names
	Kubernetes   *Constraint
	Action       Action
	ActionPos    Pos // where the file sets action
	Reason       string
	Link         string
	Pos          Pos
}

// Upgrades asks for upgrade cells: each offered minor of an ephemeral
// distribution upgraded to the next one.
type Upgrades struct {
	Path          string   // "adjacent", the only path: never skip a minor
	Verify        []string // features re-run after the upgrade
	Distributions []string // empty: every ephemeral distribution
	Pos           Pos
}

// Profile maps a $CI_PIPELINE_SOURCE to the cells a pipeline runs.
type Profile struct {
	Source string // merge_request_event, schedule, web, push, ...
	Mode   string // all | changed
	Pos    Pos
}

// Profile modes.
const (
	ProfileAll     = "all"
	ProfileChanged = "changed"
)

// Policy is what a tier needs before a distribution × minor earns its level.
// Its defaults are DefaultPolicy's (policy.go owns the section).
type Policy struct {
	Tier      Tier
	Requires  []string // docs | settings | permanent-cluster, in policy order
	GreenRuns int      // 1..MaxGreenRuns consecutive green counting runs
	MaxAge    Duration // older results are stale
	// FlakyAbove is flaky_above: the flake rate (a share of the counting
	// runs in the history, see pkg/report's Flake) above which a cell
	// reads flaky even when its newest run passed, and an official
	// distribution × minor with such a blocking cell stays qualifying.
	FlakyAbove float64
	// AlertAfter is how many consecutive failed counting runs of a
	// blocking feature (or consecutive runs whose cluster did not come
	// up) open an alert issue (publish --alerts); 0: never.
	AlertAfter int
	// AlertStale is how long a supported or qualifying distribution ×
	// minor may go without a counting run before an alert issue opens:
	// official tier only (zero for the others), default its max_age.
	AlertStale Duration
	Pos        Pos // the tier's key in policy:, zero when defaulted
}

// Policy requirements.
const (
	RequireDocs             = "docs"
	RequireSettings         = "settings"
	RequirePermanentCluster = "permanent-cluster"
)

// Pipeline holds settings shared by every generated job.
type Pipeline struct {
	Image string
	// GitLab is the oldest GitLab the generated files (and the parent
	// pipeline that triggers them) must run on: pipeline.gitlab, default
	// cicheck.DefaultGitLab. It decides what they may use (strategy: mirror
	// from 18.2) and how large a file may be (1 MB before 17.3, 2 MB since).
	GitLab    cicheck.Version
	GitLabPos Pos
	Strategy  string // mirror | depend; default mirror when GitLab allows it
	// StrategyPos is where pipeline.strategy is written, zero when defaulted.
	StrategyPos   Pos
	Retry         Retry
	Interruptible bool
	Limits        Limits
	Pos           Pos
}

// Retry is GitLab's retry keyword.
type Retry struct {
	Max  int
	When []string
}

// Limits bound the generated pipeline to what GitLab accepts.
type Limits struct {
	MaxJobs  int
	MaxNeeds int
	// MaxJobsPos and MaxNeedsPos are where the file sets each (the
	// pipeline section, or the top of the file, when it does not).
	MaxJobsPos  Pos
	MaxNeedsPos Pos
}

// Distribution returns the distribution with the id, or nil.
func (m *Matrix) Distribution(id string) *Distribution {
	for _, d := range m.Distributions {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// Feature returns the feature with the id, or nil.
func (m *Matrix) Feature(id string) *Feature {
	for _, f := range m.Features {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Offers reports whether the distribution offers the minor.
func (d *Distribution) Offers(m Minor) bool { return d.Kubernetes.Allows(m) }

// OfferedMinors returns the matrix minors the distribution offers, ascending.
func (m *Matrix) OfferedMinors(d *Distribution) []Minor {
	var out []Minor
	for _, v := range m.Kubernetes.Versions {
		if d.Offers(v) {
			out = append(out, v)
		}
	}
	return out
}
