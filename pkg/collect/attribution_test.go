package collect

import (
	"context"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// upgradeChain fills pipeline 71 with an upgrade chain whose job names are
// built by name(step) and returns its manifest. The fake builds the test
// report as GitLab does: one suite per job group (app/models/ci/build.rb
// test_suite_name, cicheck.GroupName).
func upgradeChain(s *gitlabtest.Server, name func(step string) string, withSuites bool) *Manifest {
	s.AddPipeline(gitlabtest.Pipeline{ID: 70, Source: "schedule"})
	s.AddBridge(70, gitlabtest.Bridge{ID: 700, Name: "supportmatrix", Downstream: 71})
	s.AddPipeline(gitlabtest.Pipeline{ID: 71, Source: "parent_pipeline"})
	meta := func(v string) gitlabtest.TestCase {
		return gitlabtest.TestCase{Classname: "supportmatrix", Name: "server version " + v, Status: "success"}
	}
	m := &Manifest{Schema: ManifestSchema}
	add := func(id int64, step, kind, feature string, tests ...gitlabtest.TestCase) {
		s.AddJob(71, gitlabtest.Job{ID: id, Name: name(step), Tests: tests})
		mj := ManifestJob{Name: name(step), File: "pipeline.yml", Kind: kind, Cell: "kind/1.35->1.36", Distribution: "kind",
			From: "1.35", To: "1.36", Feature: feature, Action: "run"}
		if withSuites {
			mj.Suite = name(step)
		}
		m.Jobs = append(m.Jobs, mj)
	}
	add(1, "provision cluster", KindPrepare, "", meta("v1.35.3"), gitlabtest.TestCase{Classname: "provision", Name: "create", Status: "success"})
	add(2, "upgrade cluster", KindUpgrade, "", meta("v1.36.1"),
		gitlabtest.TestCase{Classname: "upgrade", Name: "control plane", Status: "success"},
		gitlabtest.TestCase{Classname: "upgrade", Name: "nodes", Status: "success"})
	add(3, "deploy", KindUpgrade, "deploy", meta("v1.36.1"), gitlabtest.TestCase{Classname: "deploy", Name: "install", Status: "success"})
	add(4, "runner", KindUpgrade, "runner", meta("v1.36.1"), gitlabtest.TestCase{Classname: "runner", Name: "run", Status: "failed"})
	add(5, "teardown cluster", KindCleanup, "", gitlabtest.TestCase{Classname: "teardown", Name: "delete", Status: "success"})
	return m
}

// TestUpgradeAttribution: every case is credited to exactly one job, so the
// upgrade cell counts its 4 cases once, and keeps the version of the
// upgraded cluster. Before, GitLab's one suite per group made the two
// "upgrade" cases count for each of the chain's three upgrade jobs (8
// cases), and the two versions in the suite (before and after the upgrade)
// left the cell without one. Both job namings: the one suite per job that
// generate now writes (with the suite in the manifest), and the old
// "group: [step]" names sharing one suite.
func TestUpgradeAttribution(t *testing.T) {
	for name, tc := range map[string]struct {
		name   func(string) string
		suites bool
	}{
		"one suite per job":  {func(step string) string { return "kind 1.35->1.36: " + step }, true},
		"shared group suite": {func(step string) string { return "kind 1.35->1.36: [" + step + "]" }, false},
	} {
		t.Run(name, func(t *testing.T) {
			s := gitlabtest.New(t)
			m := upgradeChain(s, tc.name, tc.suites)
			run, _, err := Pipeline(context.Background(), newClient(t, s, nil), 70, Options{Manifest: m})
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Cells) != 1 {
				t.Fatalf("cells %+v", run.Cells)
			}
			c := run.Cells[0]
			want := results.TestCount{Total: 4, Passed: 3, Failed: 1}
			if c.Tests == nil || *c.Tests != want {
				t.Errorf("tests %+v, want %+v", c.Tests, want)
			}
			if c.ServerVersion != "v1.36.1" {
				t.Errorf("server version %q, want v1.36.1", c.ServerVersion)
			}
		})
	}
}
