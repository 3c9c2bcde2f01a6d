package collect

import (
	"regexp"
	"slices"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// The templates' convention for reporting the cluster's version (the shell
// library's record_server_version): a JUnit test case with classname
// jobs.MetaClassname named jobs.ServerVersionCase, whose system-out is the
// server's gitVersion. GitLab's test report drops the system-out of passing
// cases, so the version may also be carried in the name ("server version
// v1.35.2") or in a <skipped> message.
const (
	metaClassname   = jobs.MetaClassname
	serverVersionTC = jobs.ServerVersionCase
)

var versionRE = regexp.MustCompile(`v?\d+\.\d+\.\d+[0-9A-Za-z.+\-]*`)

// isMeta reports whether a test case carries metadata rather than a test.
func isMeta(tc *ci.TestCase) bool {
	return tc.Classname == metaClassname &&
		(tc.Name == serverVersionTC || strings.HasPrefix(tc.Name, serverVersionTC+" "))
}

// serverVersion reads the gitVersion a metadata case reports, "" if none.
func serverVersion(tc *ci.TestCase) string {
	if !isMeta(tc) {
		return ""
	}
	if v := versionRE.FindString(strings.TrimPrefix(tc.Name, serverVersionTC)); v != "" {
		return v
	}
	return versionRE.FindString(tc.SystemOutput)
}

// tally turns test cases into counts and a server version. Metadata cases
// are not counted as tests. It returns nil when there is nothing to say.
func tally(cases []ci.TestCase) *jobTests {
	if len(cases) == 0 {
		return nil
	}
	t := &jobTests{}
	var c results.TestCount
	for i := range cases {
		tc := &cases[i]
		if isMeta(tc) {
			if v := serverVersion(tc); v != "" && t.serverVersion == "" {
				t.serverVersion = v
			}
			continue
		}
		c.Total++
		switch tc.Status {
		case ci.TestSuccess:
			c.Passed++
		case ci.TestFailed:
			c.Failed++
		case ci.TestSkipped:
			c.Skipped++
		case ci.TestError:
			c.Errors++
		}
	}
	if c.Total > 0 {
		t.count = &c
	}
	return t
}

// suiteOf is the name of the test suite GitLab gives a job's JUnit reports:
// its group (app/models/ci/build.rb test_suite_name -> group_name, whose
// rule cicheck.GroupName owns). generate writes it in the manifest; an older
// manifest without it gets it from the job's name.
func suiteOf(mj *ManifestJob) string {
	if mj.Suite != "" {
		return mj.Suite
	}
	return cicheck.GroupName(mj.Name)
}

// jobKey is what a test case's classname starts with when it is the job's:
// the cell id for a feature job, the cell id and feature for the
// verification job of an upgrade cell (they share the cell), the cell id
// for the upgrade job itself.
func jobKey(mj *ManifestJob) string {
	if mj.Kind == KindUpgrade && mj.Feature != "" {
		return mj.Cell + "/" + mj.Feature
	}
	return mj.Cell
}

// belongsTo reports whether a test case of a suite shared by several jobs
// (manifests from before one suite per job) is the job's: its classname is
// the job's feature (the default templates use the feature as classname),
// "upgrade" for the upgrade job itself (never for the jobs verifying the
// upgraded cluster: that credited upgrade cases to every job of the chain),
// or the job's key alone or followed by a separator
// ("gke/1.35/runner.Install").
func belongsTo(classname string, mj *ManifestJob) bool {
	switch {
	case mj.Feature != "" && classname == mj.Feature:
		return true
	case mj.Kind == KindUpgrade && mj.Feature == "" && classname == KindUpgrade:
		return true
	}
	key := jobKey(mj)
	if !strings.HasPrefix(classname, key) {
		return false
	}
	rest := classname[len(key):]
	return rest == "" || strings.ContainsAny(rest[:1], ".: ")
}

// expectedMinor is the minor the job's cluster should run when its tests
// run: the cell's, or the target of an upgrade.
func expectedMinor(mj *ManifestJob) string {
	if mj.To != "" {
		return mj.To
	}
	return mj.Kubernetes
}

// pickVersion chooses the server version of a job from the versions a
// shared suite reports: the one of the job's expected minor when exactly
// one matches (an upgrade chain reports the old and the new version), else
// the only version there is, else none.
func pickVersion(versions []string, mj *ManifestJob) string {
	var match []string
	for _, v := range versions {
		if m := expectedMinor(mj); m != "" && strings.HasPrefix(strings.TrimPrefix(v, "v"), m+".") {
			match = append(match, v)
		}
	}
	switch {
	case len(match) == 1:
		return match[0]
	case len(versions) == 1:
		return versions[0]
	}
	return ""
}

// member is a manifest job found in a pipeline, by the suite it reports to.
type member struct {
	job *ci.Job
	mj  *ManifestJob
}

// attributeReports splits GitLab test reports (one per pipeline) between
// the cell jobs that uploaded them, so that every case is credited to
// exactly one job. GitLab names a suite after the job's group; generate
// names jobs so that each job is its own group and records the suite in
// the manifest: a suite that belongs to a single manifest job is that
// job's, whole, server version included. A suite shared by several jobs
// (an older manifest: "gke 1.35: [runner]" and "gke 1.35: [deploy]" were
// one suite "gke 1.35") is split by classname (see belongsTo); when no case
// belongs to any job and the suite has a single cell job, every case is
// that job's; its server version is the one of the job's minor.
//
// A cluster job (provision, connect, upgrade, teardown) gets the server
// version alone, from its own suite, or from its group's suite when that
// reports a single version: what the cluster ran when the job failed.
func attributeReports(matches []match, reports map[int64]*ci.TestReport, plan *matrix.Plan) map[int64]*jobTests {
	out := map[int64]*jobTests{}
	byPipeline := map[int64]map[string][]member{}
	var order []int64
	for i := range matches {
		mt := &matches[i]
		j := mt.newest()
		if j == nil || mt.pipeline == nil {
			continue
		}
		suites := byPipeline[mt.pipeline.ID]
		if suites == nil {
			suites = map[string][]member{}
			byPipeline[mt.pipeline.ID] = suites
			order = append(order, mt.pipeline.ID)
		}
		s := suiteOf(mt.mj)
		suites[s] = append(suites[s], member{j, mt.mj})
	}
	for _, pid := range order {
		report := reports[pid]
		if report == nil {
			continue
		}
		for i := range report.Suites {
			suite := &report.Suites[i]
			members := byPipeline[pid][suite.Name]
			if len(members) == 1 {
				if m := members[0]; m.mj.IsCellJob() {
					out[m.job.ID] = tally(suite.Cases)
				}
				continue
			}
			attributeShared(suite, members, out)
		}
	}
	for i := range matches {
		mt := &matches[i]
		j := mt.newest()
		if mt.pipeline == nil || j == nil || mt.mj.IsCellJob() || clusterStep(mt.mj, plan) == "" || reports[mt.pipeline.ID] == nil {
			continue
		}
		versions := map[string]bool{}
		var version string
		for _, s := range reports[mt.pipeline.ID].Suites {
			if s.Name != j.Name && s.Name != suiteOf(mt.mj) {
				continue
			}
			for _, tc := range s.Cases {
				if v := serverVersion(&tc); v != "" {
					versions[v] = true
					version = v
				}
			}
		}
		if len(versions) == 1 {
			out[j.ID] = &jobTests{serverVersion: version}
		}
	}
	return out
}

// attributeShared splits a suite shared by several jobs (see
// attributeReports).
func attributeShared(suite *ci.TestSuite, members []member, out map[int64]*jobTests) {
	var versions []string
	matched := false
	for i := range suite.Cases {
		tc := &suite.Cases[i]
		if v := serverVersion(tc); v != "" && !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
		for _, m := range members {
			if !isMeta(tc) && m.mj.IsCellJob() && belongsTo(tc.Classname, m.mj) {
				matched = true
			}
		}
	}
	var cellJobs []int
	for i, m := range members {
		if m.mj.IsCellJob() {
			cellJobs = append(cellJobs, i)
		}
	}
	for _, i := range cellJobs {
		m := members[i]
		var mine []ci.TestCase
		if !matched && len(cellJobs) == 1 {
			mine = suite.Cases
		} else {
			for _, tc := range suite.Cases {
				if !isMeta(&tc) && belongsTo(tc.Classname, m.mj) {
					mine = append(mine, tc)
				}
			}
		}
		t := tally(mine)
		if v := pickVersion(versions, m.mj); v != "" {
			if t == nil {
				t = &jobTests{}
			}
			t.serverVersion = v
		}
		if t != nil {
			out[m.job.ID] = t
		}
	}
}
