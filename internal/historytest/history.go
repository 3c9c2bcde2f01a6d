// Package historytest builds run histories shaped like the ones collect
// writes, for the benchmarks and size checks of the results file and the
// rendered table: every cell of a plan in plan order (feature cells with
// the excluded ones, then upgrades, then skews), job ids and URLs as GitLab
// hands them out, durations in GitLab's fractional seconds, server
// versions and test counts from the JUnit report, a few failures, retries
// and a broken cluster per run. The same arguments give the same history.
package historytest

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Project is the project URL of the runs' pipelines and jobs.
const Project = "https://gitlab.example.com/group/product"

// Start is when the oldest run finishes; runs are a day apart.
var Start = time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC)

// Run builds the i-th nightly scheduled run (i from 0) of plan.
func Run(plan *matrix.Plan, i int) results.Run {
	pipeline := int64(1_900_000_000 + i*1_000)
	finished := Start.Add(time.Duration(i) * 24 * time.Hour).Add(time.Duration(i%7) * time.Minute)
	r := results.Run{
		Pipeline: pipeline, URL: Project + "/-/pipelines/" + strconv.FormatInt(pipeline, 10),
		Source: "schedule", Ref: "main", SHA: fmt.Sprintf("%040x", hash("sha", i)), Counts: true, TestReport: true,
		CreatedAt: finished.Add(-3 * time.Hour), FinishedAt: finished,
	}
	job := int64(9_000_000_000 + i*40_000)
	chain := ""
	// One chain a run whose cluster did not come up: its cells are broken
	// and link the failed provision job.
	brokenChain := ""
	if len(plan.Cells) > 0 {
		c := plan.Cells[int(hash("broken", i)%uint64(len(plan.Cells)))]
		brokenChain = c.Chain()
	}
	var brokenJob int64
	cell := func(id, kind, ch, minor string, excluded bool, reason string) {
		if ch != chain { // each chain starts with its cluster job
			chain = ch
			job += 2
			if ch == brokenChain {
				brokenJob = job
				r.Infra = append(r.Infra, results.InfraResult{Chain: ch, Step: results.StepProvision, Kubernetes: minor,
					Reason: "cluster did not come up", JobID: job, JobURL: Project + "/-/jobs/" + strconv.FormatInt(job, 10),
					FailureReason: "script_failure"})
			}
		}
		c := results.CellResult{Cell: id, Kind: kind}
		switch {
		case excluded:
			c.Status, c.Reason = results.Excluded, reason
			r.Cells = append(r.Cells, c)
			return
		case ch == brokenChain:
			c.Status, c.Reason, c.JobID, c.FailureReason = results.Broken, "cluster did not come up", brokenJob, "script_failure"
			c.JobURL = Project + "/-/jobs/" + strconv.FormatInt(brokenJob, 10)
			r.Cells = append(r.Cells, c)
			return
		}
		job += 1 + int64(hash("gap", i, id)%3)
		h := hash("cell", i, id)
		c.JobID, c.JobURL = job, Project+"/-/jobs/"+strconv.FormatInt(job, 10)
		c.Duration = float64(60_000+h%540_000) / 1000
		c.Attempts = 1
		c.ServerVersion = "v" + minor + "." + strconv.Itoa(int(hash("patch", i/7, ch)%9)) + "-gke.1200"
		total := 6 + int(h%12)
		c.Status, c.Tests = results.Passed, &results.TestCount{Total: total, Passed: total}
		switch h % 200 {
		case 0, 1:
			c.Status, c.FailureReason = results.Failed, "script_failure"
			c.Tests = &results.TestCount{Total: total, Passed: total - 1, Failed: 1}
		case 2:
			c.Status, c.Attempts, c.Reason = results.Flaky, 2, "passed on attempt 2 after a failure"
		}
		r.Cells = append(r.Cells, c)
	}
	for _, c := range plan.Cells {
		cell(c.ID, cellid.KindTest, c.Chain(), c.Kubernetes.String(), c.Excluded(), c.Reason)
	}
	for _, u := range plan.Upgrades {
		cell(u.ID, cellid.KindUpgrade, u.ID, u.To.String(), false, "")
	}
	for _, s := range plan.Skews {
		cell(s.ID, cellid.KindSkew, s.ID, s.ControlPlane.String(), false, "")
	}
	return r
}

// History builds n nightly runs of plan, merged as collect merges them.
func History(plan *matrix.Plan, n int) *results.File {
	f := results.New()
	for i := 0; i < n; i++ {
		f.Merge(Run(plan, i))
	}
	return f
}

func hash(parts ...any) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return h.Sum64()
}
