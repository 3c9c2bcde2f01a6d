package publish_test

import (
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// TestNoteBodyClusterProblems: a merge-request note shows a broken cluster
// and a failed teardown apart from the product's failures.
func TestNoteBodyClusterProblems(t *testing.T) {
	run := results.Run{
		Pipeline: 42, URL: "https://gitlab.example/p/-/pipelines/42", Source: "merge_request_event", MR: 7,
		Cells: []results.CellResult{
			{Cell: "gke/1.35/deploy", Status: results.Broken, Reason: "cluster runs 1.36 (v1.36.2), not 1.35", FailureReason: "script_failure",
				JobURL: "https://gitlab.example/p/-/jobs/1", ServerVersion: "v1.36.2"},
			{Cell: "kind/1.35/deploy", Status: results.Passed, JobURL: "https://gitlab.example/p/-/jobs/2"},
			{Cell: "kind/1.35/runner", Status: results.Failed, FailureReason: "script_failure", JobURL: "https://gitlab.example/p/-/jobs/3"},
		},
		Infra: []results.InfraResult{
			{Chain: "gke/1.35", Step: results.StepConnect, Kubernetes: "1.35", Reason: "cluster runs 1.36 (v1.36.2), not 1.35", JobURL: "https://gitlab.example/p/-/jobs/1"},
			{Chain: "kind/1.35", Step: results.StepTeardown, Reason: "the cluster may still be running (and costing money)", JobURL: "https://gitlab.example/p/-/jobs/4"},
		},
	}
	golden.Assert(t, "note-cluster-problems.md", []byte(publish.NoteBody("## Plan\n\n3 changed", &run)))
}
