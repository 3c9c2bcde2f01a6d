package collect

import (
	"regexp"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// The templates' convention for reporting the cluster's version: a JUnit
// test case with classname "supportmatrix" named "server version", whose
// system-out is the server's gitVersion. GitLab's test report drops the
// system-out of passing cases, so the version may also be carried in the
// name ("server version v1.35.2") or in a <skipped> message.
const (
	metaClassname   = "supportmatrix"
	serverVersionTC = "server version"
)

var versionRE = regexp.MustCompile(`v?\d+\.\d+\.\d+[0-9A-Za-z.+\-]*`)

// isMeta reports whether a test case carries metadata rather than a test.
func isMeta(tc *gitlab.TestCase) bool {
	return tc.Classname == metaClassname &&
		(tc.Name == serverVersionTC || strings.HasPrefix(tc.Name, serverVersionTC+" "))
}

// serverVersion reads the gitVersion a metadata case reports, "" if none.
func serverVersion(tc *gitlab.TestCase) string {
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
func tally(cases []gitlab.TestCase) *jobTests {
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
		case "success":
			c.Passed++
		case "failed":
			c.Failed++
		case "skipped":
			c.Skipped++
		case "error":
			c.Errors++
		}
	}
	if c.Total > 0 {
		t.count = &c
	}
	return t
}

// groupRE is GitLab's rule for grouping jobs (Ci::Build#group_name): it
// strips trailing ": [...]", " 1/3", " 1:3" parts. GitLab names a
// pipeline's test suite after the job's group (unless the job comes from
// parallel:matrix), so jobs "gke 1.35: [runner]" and "gke 1.35: [deploy]"
// share one suite "gke 1.35".
var groupRE = regexp.MustCompile(`([\x08\s:]+((\[.*\])|(\d+[\s:/\\]+\d+)))+\s*\z`)

// groupName is GitLab's group name of a job.
func groupName(job string) string {
	return strings.TrimSpace(groupRE.ReplaceAllString(job, ""))
}

// belongsTo reports whether a test case of a shared suite is the job's:
// its classname is the job's feature (the default templates use the
// feature as classname), "upgrade" for an upgrade job, or the cell id
// alone or followed by a separator ("gke/1.35/runner.Install").
func belongsTo(classname string, mj *ManifestJob) bool {
	switch {
	case mj.Feature != "" && classname == mj.Feature:
		return true
	case mj.Kind == KindUpgrade && classname == KindUpgrade:
		return true
	case !strings.HasPrefix(classname, mj.Cell):
		return false
	}
	rest := classname[len(mj.Cell):]
	return rest == "" || strings.ContainsAny(rest[:1], "./: ")
}

// attributeReports splits GitLab test reports (one per pipeline) between
// the cell jobs that uploaded them. GitLab names a suite after the job's
// group, so one suite usually holds the cases of a whole chain: its cell
// jobs and its prepare and cleanup jobs. A suite named after a job's full
// name (a parallel:matrix job) is that job's alone. Otherwise each case
// goes to the job it belongs to (see belongsTo); when no case of the suite
// belongs to any job and the group has a single cell job, every case is
// that job's. The suite's server version goes to every cell job of the
// group when the suite reports a single one (one cluster per chain).
//
// A cluster job (provision, connect, upgrade, teardown) gets the server
// version alone, from a suite named after it, or from its group's suite
// when that reports a single version: what the cluster ran when the job
// failed.
func attributeReports(matches []match, reports map[int64]*gitlab.TestReport, plan *matrix.Plan) map[int64]*jobTests {
	out := map[int64]*jobTests{}
	type cellJob struct {
		job *gitlab.Job
		mj  *ManifestJob
	}
	byPipeline := map[int64][]cellJob{}
	var order []int64
	for i := range matches {
		mt := &matches[i]
		if !mt.mj.IsCellJob() || mt.pipeline == nil {
			continue
		}
		if _, ok := byPipeline[mt.pipeline.ID]; !ok {
			order = append(order, mt.pipeline.ID)
		}
		byPipeline[mt.pipeline.ID] = append(byPipeline[mt.pipeline.ID], cellJob{mt.newest(), mt.mj})
	}
	for _, pid := range order {
		jobs := byPipeline[pid]
		report := reports[pid]
		if report == nil {
			continue
		}
		byName := map[string]*gitlab.TestSuite{}
		for i := range report.Suites {
			byName[report.Suites[i].Name] = &report.Suites[i]
		}
		groups := map[string][]cellJob{}
		for _, cj := range jobs {
			g := groupName(cj.job.Name)
			groups[g] = append(groups[g], cj)
		}
		for _, cj := range jobs {
			if s := byName[cj.job.Name]; s != nil {
				out[cj.job.ID] = tally(s.Cases)
				continue
			}
			g := groupName(cj.job.Name)
			s := byName[g]
			if s == nil {
				continue
			}
			var mine []gitlab.TestCase
			versions := map[string]bool{}
			var version string
			matched := false
			for _, tc := range s.Cases {
				if v := serverVersion(&tc); v != "" {
					versions[v] = true
					version = v
				}
				for _, other := range groups[g] {
					if !isMeta(&tc) && belongsTo(tc.Classname, other.mj) {
						matched = true
					}
				}
				if !isMeta(&tc) && belongsTo(tc.Classname, cj.mj) {
					mine = append(mine, tc)
				}
			}
			if !matched && len(groups[g]) == 1 {
				mine = s.Cases
			}
			t := tally(mine)
			if len(versions) == 1 {
				if t == nil {
					t = &jobTests{}
				}
				t.serverVersion = version
			}
			if t != nil {
				out[cj.job.ID] = t
			}
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
			if s.Name != j.Name && s.Name != groupName(j.Name) {
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
