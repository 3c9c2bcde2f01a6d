package collect

import (
	"context"
	"fmt"
	"path"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// ManifestAPI is what FetchManifest needs from GitLab; *gitlab.Client
// implements it with the two routes a CI job token may use.
type ManifestAPI interface {
	// Jobs lists one pipeline's jobs, retried attempts included (GET
	// /projects/:id/pipelines/:pipeline_id/jobs).
	Jobs(ctx context.Context, pipelineID int64) ([]ci.Job, error)
	// JobArtifacts returns the files of a job's artifacts archive that keep
	// selects (GET /projects/:id/jobs/:job_id/artifacts).
	JobArtifacts(ctx context.Context, jobID int64, keep func(name string) bool) ([]ci.ArtifactFile, error)
}

// FetchManifest reads the files of the manifest's directory (the manifest
// and what generate's job put beside it, such as plan.md; not its
// subdirectories) from the artifacts of job in pipeline pipelineID: the
// newest attempt of that name, which must have succeeded. A file's self-report
// job fetches the manifest this way from the parent's generate job, with
// nothing but its CI job token: GitLab lets a job token list a pipeline's
// jobs (lib/api/ci/pipelines.rb) and download a job's artifacts
// (lib/api/ci/job_artifacts.rb), both `job_token_allowed: true`.
//
// manifest is the manifest's path in the archive, relative and inside it
// ("out/manifest.json"); every file returned is directly in its directory,
// so a hostile archive cannot name a path outside it.
func FetchManifest(ctx context.Context, api ManifestAPI, pipelineID int64, job, manifest string) ([]ci.ArtifactFile, error) {
	clean := path.Clean(manifest)
	if clean != manifest || !cicheck.Inside(clean) {
		return nil, fmt.Errorf("fetch manifest: %q is not a clean relative path inside the artifacts", manifest)
	}
	jobs, err := api.Jobs(ctx, pipelineID)
	if err != nil {
		return nil, fmt.Errorf("fetch manifest: %w", err)
	}
	var newest *ci.Job
	for i := range jobs {
		if jobs[i].Name == job && !jobs[i].Bridge && (newest == nil || jobs[i].ID > newest.ID) {
			newest = &jobs[i]
		}
	}
	switch {
	case newest == nil:
		return nil, fmt.Errorf("fetch manifest: pipeline %d has no job %q (the job that ran generate: --manifest-job)", pipelineID, job)
	case newest.Status != ci.Success:
		return nil, fmt.Errorf("fetch manifest: job %q of pipeline %d is %s, not success", job, pipelineID, newest.Status)
	}
	dir := path.Dir(clean)
	files, err := api.JobArtifacts(ctx, newest.ID, func(name string) bool {
		return path.Clean(name) == name && path.Dir(name) == dir
	})
	if err != nil {
		return nil, fmt.Errorf("fetch manifest: job %q of pipeline %d: %w", job, pipelineID, err)
	}
	for _, f := range files {
		if f.Name == clean {
			return files, nil
		}
	}
	return nil, fmt.Errorf("fetch manifest: the artifacts of job %q (job %d of pipeline %d) hold no %s", job, newest.ID, pipelineID, clean)
}
