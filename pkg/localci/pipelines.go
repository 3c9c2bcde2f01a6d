package localci

import "gitlab.com/supportmatrix/supportmatrix/pkg/ci"

// Pipelines turns the run into the domain's pipelines, which collect reads
// the same way whoever ran them: one pipeline per trigger chain, in the
// order Jobs lists them (the top pipeline first), each with the file it
// runs. gitlab-ci-local has no ids, so pipelines are numbered 1, 2, ... and
// every child's parent is 1; jobs are numbered in order across the run, so
// no two jobs share an id and none is a retry (each job runs once). A job
// keeps its JUnit files; one that failed with allow_failure reads failed
// with AllowFailure set, as GitLab shows it.
func (r *Result) Pipelines() []ci.Pipeline {
	var pipelines []ci.Pipeline
	index := map[string]int{}
	for n, j := range r.Jobs {
		i, ok := index[j.Triggerers]
		if !ok {
			i = len(pipelines)
			index[j.Triggerers] = i
			p := ci.Pipeline{ID: int64(i + 1), File: j.Pipeline}
			if i > 0 {
				p.ParentID = 1
			}
			pipelines = append(pipelines, p)
		}
		status, allowFailure := j.Status.CI()
		pipelines[i].Jobs = append(pipelines[i].Jobs, ci.Job{
			ID: int64(n + 1), Name: j.Name, Status: status, AllowFailure: allowFailure,
			Bridge: j.Trigger, Duration: j.Duration.Seconds(), JUnitFiles: j.JUnitFiles,
		})
	}
	return pipelines
}
