package cicheck

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a GitLab release, major.minor: the oldest GitLab a pipeline
// file must run on.
type Version struct {
	Major, Minor int
}

// ParseVersion reads "17.0" or "18.2" (a patch, "17.3.1", is allowed and
// ignored: features and limits change with minors).
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("GitLab version %q: write major.minor, such as \"17.0\"", s)
	}
	var v Version
	var err error
	if v.Major, err = strconv.Atoi(parts[0]); err != nil || v.Major < 1 {
		return Version{}, fmt.Errorf("GitLab version %q: write major.minor, such as \"17.0\"", s)
	}
	if v.Minor, err = strconv.Atoi(parts[1]); err != nil || v.Minor < 0 {
		return Version{}, fmt.Errorf("GitLab version %q: write major.minor, such as \"17.0\"", s)
	}
	if len(parts) == 3 {
		if _, err := strconv.Atoi(parts[2]); err != nil {
			return Version{}, fmt.Errorf("GitLab version %q: write major.minor, such as \"17.0\"", s)
		}
	}
	return v, nil
}

// String renders the version as "17.0".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v is o or newer.
func (v Version) AtLeast(o Version) bool {
	if v.Major != o.Major {
		return v.Major > o.Major
	}
	return v.Minor >= o.Minor
}

// IsZero reports whether v is unset.
func (v Version) IsZero() bool { return v == Version{} }

// What GitLab accepts, by version. Each fact is defined here once and used by
// the matrix loader, the generator, plan and the check.
var (
	// DefaultGitLab is the target when the matrix names none: the files
	// must run on every GitLab 17.x and later.
	DefaultGitLab = Version{17, 0}

	// MirrorStrategy is the first GitLab with trigger:strategy: mirror
	// (lib/gitlab/ci/config/entry/trigger.rb; GitLab issue 431882, released
	// in 18.2). Before it a trigger accepts `depend` alone and the whole
	// file is invalid.
	MirrorStrategy = Version{18, 2}

	// LargeYAML is the first GitLab whose default max_yaml_size_bytes is
	// 2 MB instead of 1 MB (GitLab issue 473777, merge request 160826).
	LargeYAML = Version{17, 3}

	// TriggerJobs is the first GitLab that serves GET
	// .../pipelines/:id/trigger_jobs and lets a job token list a
	// pipeline's trigger jobs (lib/api/ci/pipelines.rb: /bridges deprecated
	// in 19.2, both routes job_token_allowed). pkg/gitlab finds out by
	// asking; the test GitLab plays it by version.
	TriggerJobs = Version{19, 2}
)

// The values of trigger:strategy (lib/gitlab/ci/config/entry/trigger.rb):
// depend waits for the downstream pipeline, mirror (MirrorStrategy and
// later) copies its status. The matrix's pipeline.strategy takes them as is.
const (
	StrategyDepend = "depend"
	StrategyMirror = "mirror"
)

// Limits GitLab enforces on every version this tool targets.
const (
	// MaxArtifactArchive bounds the whole artifacts archive of a job that
	// provides a trigger:include:artifact file: 5.megabytes
	// (lib/gitlab/ci/artifact_file_reader.rb MAX_ARCHIVE_SIZE). The archive,
	// not the file: a binary beside the YAML breaks the trigger.
	MaxArtifactArchive = 5 * 1024 * 1024
	// MaxJobName is the longest job name (lib/gitlab/ci/config/entry/processable.rb,
	// validates :name, length: { maximum: 255 }).
	MaxJobName = 255
	// MaxNeededJobName is the longest name of a job another job needs
	// (app/models/ci/build_need.rb, validates :name, length: { maximum: 128 }).
	MaxNeededJobName = 128
	// MaxNeeds is the most entries of one job's needs on GitLab.com and by
	// default (plan limit ci_needs_size_limit, lib/gitlab/ci/pipeline/seed/build.rb
	// max_needs_allowed).
	MaxNeeds = 50
)

// MaxYAMLSize is GitLab's default max_yaml_size_bytes on version v: 1 MB
// before 17.3, 2 MB since (lib/gitlab/config/loader/yaml.rb; measured on the
// parsed object, lib/gitlab/utils/deep_size.rb).
func MaxYAMLSize(v Version) int {
	if v.AtLeast(LargeYAML) {
		return 2 * 1024 * 1024
	}
	return 1024 * 1024
}

// ActiveJobsLimit is GitLab.com's ci_active_jobs plan limit: the jobs of all
// active pipelines of a project together, child pipelines included
// (lib/gitlab/ci/pipeline/chain/limit/active_jobs.rb counts
// project.all_pipelines.jobs_count_in_alive_pipelines plus the new
// pipeline's). Sharding a program into child pipelines does not help
// against it. Self-managed instances have no such limit by default.
type ActiveJobsLimit struct {
	Tier string
	Jobs int
}

// FreeActiveJobs is GitLab.com Free's active-jobs limit, the smallest.
const FreeActiveJobs = 500

// GitLabComActiveJobs are the limits of GitLab.com's tiers, smallest first.
var GitLabComActiveJobs = []ActiveJobsLimit{
	{"Free", FreeActiveJobs},
	{"Premium", 20000},
	{"Ultimate", 100000},
}

// TierFor returns the smallest GitLab.com tier whose active-jobs limit
// holds jobs, or "" when none does.
func TierFor(jobs int) string {
	for _, l := range GitLabComActiveJobs {
		if jobs <= l.Jobs {
			return l.Tier
		}
	}
	return ""
}
