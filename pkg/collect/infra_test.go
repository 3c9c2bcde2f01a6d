package collect

import (
	"context"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// generatedManifest is what generate writes for testdata/matrix.yaml with
// the default templates: real job names ("gke 1.35: connect cluster"),
// so that the cluster steps are read as collect reads a real pipeline.
func generatedManifest(t *testing.T) *Manifest {
	t.Helper()
	set, err := jobs.Open("")
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate.Generate(loadPlan(t), set, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := out.Manifest
	return &m
}

// TestPipelineInfraFailures collects one pipeline in which every cluster
// step fails somewhere: a permanent cluster the provider upgraded (connect
// fails, the server is 1.36 where 1.35 is expected), a permanent cluster
// that does not answer, an ephemeral cluster that does not come up, a
// failed control-plane upgrade, and a teardown that fails after every
// feature passed.
func TestPipelineInfraFailures(t *testing.T) {
	m := generatedManifest(t)
	s := gitlabtest.New(t)
	s.AddPipeline(gitlabtest.Pipeline{ID: 1, Source: "schedule", Ref: "main"})
	// Failed jobs by name; every other generated job passes, and the jobs
	// after a failed cluster job are skipped, as GitLab skips the jobs
	// that need a failed one.
	failed := map[string]string{
		"gke 1.35: connect cluster":         "script_failure",
		"gke 1.36: connect cluster":         "runner_system_failure",
		"kind 1.35: provision cluster":      "script_failure",
		"kind 1.35->1.36: upgrade cluster":  "script_failure",
		"kind 1.36: teardown cluster":       "script_failure",
		"kind 1.35->1.36: teardown cluster": "",
	}
	blocked := func(name string) bool {
		for _, prefix := range []string{"gke 1.35: ", "gke 1.36: ", "kind 1.35: ", "kind 1.35->1.36: "} {
			if strings.HasPrefix(name, prefix) && !strings.HasSuffix(name, " cluster") {
				return true
			}
		}
		return false
	}
	id := int64(100)
	for _, j := range m.Jobs {
		if j.Kind == KindTrigger {
			continue
		}
		id++
		job := gitlabtest.Job{ID: id, Name: j.Name, Status: "success", Duration: 10}
		if reason, ok := failed[j.Name]; ok && reason != "" {
			job.Status, job.FailureReason = "failed", reason
		} else if blocked(j.Name) {
			job.Status = "skipped"
		}
		s.AddJob(1, job)
	}
	s.SetTestReport(1, []gitlabtest.TestSuite{
		{Name: "gke 1.35: connect cluster", Cases: []gitlabtest.TestCase{
			{Classname: "supportmatrix", Name: "server version v1.36.2-gke.1100", Status: "success"},
			{Classname: "connect", Name: "server minor is 1.35", Status: "failed", SystemOutput: "runs v1.36.2-gke.1100"},
		}},
		{Name: "kind 1.35->1.36: upgrade cluster", Cases: []gitlabtest.TestCase{
			{Classname: "supportmatrix", Name: "server version v1.35.3", Status: "success"},
			{Classname: "upgrade", Name: "upgrade", Status: "failed"},
		}},
		{Name: "kind 1.36: deploy", Cases: []gitlabtest.TestCase{
			{Classname: "supportmatrix", Name: "server version v1.36.1", Status: "success"},
			{Classname: "deploy", Name: "helm install", Status: "success"},
		}},
		{Name: "kind 1.36: teardown cluster", Cases: []gitlabtest.TestCase{
			{Classname: "teardown", Name: "delete cluster", Status: "failed"},
		}},
	})
	run, sum, err := Pipeline(context.Background(), newClient(t, s, nil), 1, Options{Manifest: m, Plan: loadPlan(t), DefaultBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status results.Status
		reason string
	}{
		"gke/1.35/deploy":   {results.Broken, "cluster runs 1.36 (v1.36.2-gke.1100), not 1.35"},
		"gke/1.35/runner":   {results.Broken, "cluster runs 1.36"},
		"gke/1.36/deploy":   {results.Broken, "cluster could not be reached"},
		"kind/1.35/deploy":  {results.Broken, "cluster did not come up"},
		"kind/1.35->1.36":   {results.Broken, "cluster runs 1.35 (v1.35.3), not 1.36"},
		"kind/1.36/deploy":  {results.Passed, ""},
		"kind/1.36/runner":  {results.Passed, ""},
		"gke/1.35/terminal": {results.Excluded, "Websocket"},
	}
	for cell, w := range want {
		c := run.Cell(cell)
		if c == nil {
			t.Errorf("%s: not recorded", cell)
			continue
		}
		if c.Status != w.status || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("%s: %s %q, want %s %q", cell, c.Status, c.Reason, w.status, w.reason)
		}
	}
	if c := run.Cell("gke/1.35/deploy"); c.ServerVersion != "v1.36.2-gke.1100" || !strings.HasSuffix(c.JobURL, "/jobs/101") {
		t.Errorf("a broken cell keeps the version the connect job saw and links that job: %+v", c)
	}
	steps := map[string]string{}
	for _, i := range run.Infra {
		steps[i.Chain] += i.Step + " "
	}
	for chain, want := range map[string]string{
		"gke/1.35": "connect ", "gke/1.36": "connect ", "kind/1.35": "provision ",
		"kind/1.35->1.36": "upgrade ", "kind/1.36": "teardown ",
	} {
		if steps[chain] != want {
			t.Errorf("infra of %s: %q, want %q", chain, steps[chain], want)
		}
	}
	if n := sum.Statuses[results.Failed]; n != 0 {
		t.Errorf("%d cells failed: a cluster failure is never a product failure", n)
	}
	line := sum.String()
	for _, part := range []string{"cells:", "broken", "5 cluster problems", "kind/1.36 teardown failed: the cluster may still be running"} {
		if !strings.Contains(line, part) {
			t.Errorf("summary %q lacks %q", line, part)
		}
	}
	golden.Assert(t, "infra.golden.json", runJSON(t, s, run))
}

func TestInfraReason(t *testing.T) {
	tests := []struct {
		in   results.InfraResult
		want string
	}{
		{results.InfraResult{Step: results.StepConnect, Kubernetes: "1.35", ServerVersion: "v1.36.0"}, "cluster runs 1.36 (v1.36.0), not 1.35"},
		{results.InfraResult{Step: results.StepConnect, Kubernetes: "1.35", ServerVersion: "v1.35.0"}, "cluster could not be reached, or failed its checks"},
		{results.InfraResult{Step: results.StepConnect, Kubernetes: "1.35"}, "cluster could not be reached, or failed its checks"},
		{results.InfraResult{Step: results.StepProvision, Kubernetes: "1.35"}, "cluster did not come up"},
		{results.InfraResult{Step: results.StepUpgrade, Kubernetes: "1.36"}, "control plane upgrade to 1.36 failed"},
		{results.InfraResult{Step: results.StepUpgrade, Kubernetes: "1.36", ServerVersion: "v1.35.9+k3s1"}, "cluster runs 1.35 (v1.35.9+k3s1), not 1.36"},
		{results.InfraResult{Step: results.StepTeardown}, "the cluster may still be running (and costing money)"},
	}
	for _, tt := range tests {
		if got := infraReason(&tt.in); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestLocalInfraFailures reads a gitlab-ci-local run whose provision job
// failed after reporting the cluster's version, and whose teardown failed.
func TestLocalInfraFailures(t *testing.T) {
	dir := t.TempDir()
	provisionXML := writeJUnit(t, dir, "provision.xml", `<testsuite>
		<testcase classname="supportmatrix" name="server version v1.34.7"/>
		<testcase classname="provision" name="create cluster"><failure/></testcase></testsuite>`)
	res := &localci.Result{Jobs: []localci.JobResult{
		{Name: "kind 1.35: provision cluster", Pipeline: "pipeline.yml", Status: localci.Failed, JUnitFiles: []string{provisionXML}},
		{Name: "kind 1.35: [deploy]", Pipeline: "pipeline.yml", Status: localci.Skipped},
		{Name: "kind 1.35: teardown cluster", Pipeline: "pipeline.yml", Status: localci.Failed},
	}}
	m := &Manifest{Schema: ManifestSchema, Jobs: []ManifestJob{
		{Name: "kind 1.35: provision cluster", File: "pipeline.yml", Kind: KindPrepare, Cell: "kind/1.35", Distribution: "kind", Kubernetes: "1.35"},
		{Name: "kind 1.35: [deploy]", File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.35/deploy", Distribution: "kind", Kubernetes: "1.35", Feature: "deploy"},
		{Name: "kind 1.35: teardown cluster", File: "pipeline.yml", Kind: KindCleanup, Cell: "kind/1.35", Distribution: "kind", Kubernetes: "1.35"},
	}}
	run, _, err := Local(res, LocalOptions{Manifest: m})
	if err != nil {
		t.Fatal(err)
	}
	c := run.Cell("kind/1.35/deploy")
	if c == nil || c.Status != results.Broken || c.Reason != "cluster runs 1.34 (v1.34.7), not 1.35" || c.ServerVersion != "v1.34.7" {
		t.Errorf("deploy: %+v, want broken with the provisioned version", c)
	}
	if len(run.Infra) != 2 || run.Infra[0].Step != results.StepProvision || run.Infra[1].Step != results.StepTeardown {
		t.Errorf("infra %+v, want provision then teardown", run.Infra)
	}
}

// TestLocalSaysRetryIsNotRehearsed: with pipeline.retry set, a local run
// says once that gitlab-ci-local runs every job once.
func TestLocalSaysRetryIsNotRehearsed(t *testing.T) {
	plan := loadPlan(t)
	plan.Matrix.Pipeline.Retry = matrix.Retry{Max: 2, When: []string{"script_failure", "runner_system_failure"}}
	res := &localci.Result{Jobs: []localci.JobResult{{Name: "kind 1.35: deploy", Pipeline: "pipeline.yml", Status: localci.Success}}}
	m := &Manifest{Schema: ManifestSchema, Jobs: []ManifestJob{{Name: "kind 1.35: deploy", File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.35/deploy", Distribution: "kind", Kubernetes: "1.35", Feature: "deploy"}}}
	_, sum, err := Local(res, LocalOptions{Manifest: m, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	want := "pipeline.retry (max 2 when script_failure, runner_system_failure) is not rehearsed: gitlab-ci-local 4.70.1 runs every job once"
	if !strings.Contains(strings.Join(sum.Notes, "\n"), want) {
		t.Errorf("notes %q lack %q", sum.Notes, want)
	}
	plan.Matrix.Pipeline.Retry = matrix.Retry{}
	if _, sum, _ = Local(res, LocalOptions{Manifest: m, Plan: plan}); len(sum.Notes) != 0 {
		t.Errorf("without retry: notes %q", sum.Notes)
	}
}
