package matrix

import (
	"fmt"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// The enumerations and numeric ranges of the matrix format, each defined
// once here. The loader refuses a value outside them, naming the file,
// line and the allowed values; matrix/schema.json's enum, const, minimum
// and maximum (and the patterns of ids, template names and variable
// names) are generated from them by TestSchemaGenerated (go test
// ./pkg/matrix -update, make regenerate), so an editor and the loader
// accept the same values, and make verify fails when the two drift.

// MaxIDLength is the longest id (of a distribution, a feature or a
// lifecycle), as SPEC.md's pattern for ids allows.
const MaxIDLength = 31

// IDPattern is the regular expression every id matches; IDRule says it in
// words, for the loader's message and the schema's description.
var (
	IDPattern = fmt.Sprintf(`^[a-z0-9][a-z0-9-]{0,%d}$`, MaxIDLength-1)
	IDRule    = fmt.Sprintf("lower-case letters, digits and dashes, starting with a letter or digit, at most %d characters", MaxIDLength)
)

// Range is the inclusive range of a whole-number key.
type Range struct{ Min, Max int }

// The ranges of the whole-number keys.
var (
	// MaxBehindRange bounds distributions.*.skew.max_behind: the upstream
	// version skew policy lets nodes lag the control plane by up to three
	// minors. Its Max is also the default: every skew upstream allows.
	MaxBehindRange = Range{1, 3}
	// GreenRunsRange bounds policy green_runs: a streak is counted over
	// the counting runs the history keeps.
	GreenRunsRange = Range{1, MaxGreenRuns}
	// AlertAfterRange bounds policy alert_after (0: never alert), counted
	// over the same runs as green_runs.
	AlertAfterRange = Range{0, MaxGreenRuns}
	// RetryMaxRange bounds pipeline.retry.max, as GitLab's retry:max
	// does (lib/gitlab/ci/config/entry/retry.rb: 0 to 2).
	RetryMaxRange = Range{0, 2}
	// MaxJobsRange bounds pipeline.limits.max_jobs.
	MaxJobsRange = Range{MinMaxJobs, 100000}
	// MaxNeedsRange bounds pipeline.limits.max_needs: GitLab's own limit
	// at most.
	MaxNeedsRange = Range{MinMaxNeeds, DefaultMaxNeeds}
)

// ClusterTypes lists the cluster types.
var ClusterTypes = []ClusterType{ClusterPermanent, ClusterEphemeral}

// RuleActions lists the actions a rule may take (ActionRun is no rule's).
var RuleActions = []Action{ActionExclude, ActionAllowFailure, ActionManual}

// UpgradeAdjacent is upgrades.path: each offered minor to the next, the
// only path (upstream supports no skipped minor).
const UpgradeAdjacent = "adjacent"

// ProfileModes lists the profile modes.
var ProfileModes = []string{ProfileAll, ProfileChanged}

// PipelineSources are the values of $CI_PIPELINE_SOURCE, the keys of
// profiles (the sources of app/models/concerns/enums/ci/pipeline.rb).
var PipelineSources = []string{"api", "chat", "external", "external_pull_request_event", "merge_request_event", "ondemand_dast_scan", "ondemand_dast_validation", "parent_pipeline", "pipeline", "push", "schedule", "security_orchestration_policy", "trigger", "web", "webide"}

// Strategies lists the values of pipeline.strategy: GitLab's
// trigger:strategy values, which the generator writes as they are.
var Strategies = []string{cicheck.StrategyMirror, cicheck.StrategyDepend}

// RetryWhen are the values GitLab accepts in retry:when: "always" and
// the failure reasons of lib/gitlab/ci/status/build/failed.rb
// (lib/gitlab/ci/config/entry/retry.rb, possible_retry_when_values).
var RetryWhen = []string{"always", "unknown_failure", "script_failure", "api_failure", "stuck_or_timeout_failure", "runner_system_failure", "runner_unsupported", "stale_schedule", "job_execution_timeout", "archived_failure", "unmet_prerequisites", "scheduler_failure", "data_integrity_failure"}

// Requirements lists what a policy may require, in policy order.
var Requirements = []string{RequireDocs, RequireSettings, RequirePermanentCluster}

// names returns the values of a list of a string type, for d.enum and
// messages.
func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
