package gitlabtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

// get sends a raw request to the fake, the way GitLab would be called.
func get(t *testing.T, url, header, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if header != "" {
		req.Header.Set(header, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestFakePaginatesLikeGitLab(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.AddPipeline(gitlabtest.Pipeline{ID: 7})
	for i := range 45 {
		fake.AddJob(7, gitlabtest.Job{ID: int64(100 + i), Name: "job"})
	}
	tests := []struct {
		name, query             string
		items                   int
		next, total, totalPages string
		first                   int64
	}{
		{"default per_page is 20", "include_retried=true", 20, "2", "45", "3", 144},
		{"last page", "include_retried=true&page=3", 5, "", "45", "3", 104},
		{"per_page capped at 100", "include_retried=true&per_page=500", 45, "", "45", "1", 144},
		{"newest attempt only", "per_page=100", 1, "", "1", "1", 144},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, fake.URL+"/projects/group%2Fproject/pipelines/7/jobs?"+tc.query, "PRIVATE-TOKEN", gitlabtest.DefaultToken)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var jobs []struct {
				ID       int64 `json:"id"`
				Pipeline struct {
					ID int64 `json:"id"`
				} `json:"pipeline"`
			}
			if err := json.Unmarshal(body, &jobs); err != nil {
				t.Fatal(err)
			}
			if len(jobs) != tc.items {
				t.Fatalf("%d items, want %d", len(jobs), tc.items)
			}
			if got := resp.Header.Get("X-Next-Page"); got != tc.next {
				t.Errorf("X-Next-Page = %q, want %q", got, tc.next)
			}
			if got := resp.Header.Get("X-Total"); got != tc.total {
				t.Errorf("X-Total = %q, want %q", got, tc.total)
			}
			if got := resp.Header.Get("X-Total-Pages"); got != tc.totalPages {
				t.Errorf("X-Total-Pages = %q, want %q", got, tc.totalPages)
			}
			if got := jobs[0].ID; got != tc.first || jobs[0].Pipeline.ID != 7 {
				t.Errorf("first job %d of pipeline %d, want %d of 7", got, jobs[0].Pipeline.ID, tc.first)
			}
			if tc.next != "" && !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
				t.Errorf("Link lacks next: %q", resp.Header.Get("Link"))
			}
		})
	}

	fake.SetOmitTotals(true)
	resp, _ := get(t, fake.URL+"/projects/1/pipelines/7/jobs?include_retried=true", "PRIVATE-TOKEN", gitlabtest.DefaultToken)
	if resp.Header.Get("X-Total") != "" || resp.Header.Get("X-Next-Page") != "2" {
		t.Errorf("omitting totals: X-Total %q, X-Next-Page %q", resp.Header.Get("X-Total"), resp.Header.Get("X-Next-Page"))
	}
}

// TestFakeChecksToken: the fake authenticates like GitLab
// (lib/api/helpers/authentication.rb, lib/gitlab/auth/auth_finders.rb): a
// job token only on routes marked job_token_allowed (lib/api/ci/pipelines.rb:
// GET .../pipelines/:id/jobs; lib/api/ci/job_artifacts.rb; from 19.2 the
// trigger-job lists), ignored elsewhere, and a private project is 404 to
// anonymous requests (lib/api/helpers.rb find_project!).
func TestFakeChecksToken(t *testing.T) {
	tests := []struct {
		name, version, path, header, token string
		public                             bool
		want                               int
		body                               string
	}{
		{"no token, private", "", "/projects/1", "", "", false, 404, "404 Project Not Found"},
		{"no token, public", "", "/projects/1", "", "", true, 200, ""},
		{"wrong private token", "", "/projects/1", "PRIVATE-TOKEN", "nope", false, 401, "401 Unauthorized"},
		{"job token on project", "", "/projects/1", "JOB-TOKEN", "job-123", false, 404, "404 Project Not Found"},
		{"job token on jobs", "", "/projects/1/pipelines/7/jobs", "JOB-TOKEN", "job-123", false, 200, ""},
		{"wrong job token on jobs", "", "/projects/1/pipelines/7/jobs", "JOB-TOKEN", "job-999", false, 401, "401 Unauthorized"},
		{"job token on pipeline", "", "/projects/1/pipelines/7", "JOB-TOKEN", "job-123", false, 404, "404 Project Not Found"},
		{"job token on test report", "", "/projects/1/pipelines/7/test_report", "JOB-TOKEN", "job-123", false, 404, "404 Project Not Found"},
		{"job token on bridges 17.0", "", "/projects/1/pipelines/7/bridges", "JOB-TOKEN", "job-123", false, 404, "404 Project Not Found"},
		{"job token on bridges 19.2", "19.2", "/projects/1/pipelines/7/bridges", "JOB-TOKEN", "job-123", false, 200, ""},
		{"job token on trigger_jobs 19.2", "19.2", "/projects/1/pipelines/7/trigger_jobs", "JOB-TOKEN", "job-123", false, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := gitlabtest.New(t)
			fake.SetToken("job-123", true)
			fake.SetPublic(tc.public)
			if tc.version != "" {
				fake.SetVersion(tc.version)
			}
			fake.AddPipeline(gitlabtest.Pipeline{ID: 7})
			resp, body := get(t, fake.URL+tc.path, tc.header, tc.token)
			if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.body) {
				t.Errorf("status %d %s, want %d %q", resp.StatusCode, body, tc.want, tc.body)
			}
		})
	}
}

// TestFakeTriggerJobsByVersion: trigger_jobs exists from GitLab 19.2
// (lib/api/ci/pipelines.rb); before, the route is unknown: 404.
func TestFakeTriggerJobsByVersion(t *testing.T) {
	for version, want := range map[string]int{"17.0": 404, "19.1": 404, "19.2": 200, "20.0": 200} {
		fake := gitlabtest.New(t)
		fake.SetVersion(version)
		fake.AddPipeline(gitlabtest.Pipeline{ID: 7})
		resp, body := get(t, fake.URL+"/projects/1/pipelines/7/trigger_jobs", "PRIVATE-TOKEN", gitlabtest.DefaultToken)
		if resp.StatusCode != want {
			t.Errorf("%s: status %d %s, want %d", version, resp.StatusCode, body, want)
		}
	}
}

// TestFakeSuitePerGroup: the test report holds one suite per job group, the
// latest attempt of each job only, and no output for passing cases
// (app/models/ci/build.rb test_suite_name; Ci::Pipeline#latest_report_builds;
// lib/gitlab/ci/parsers/test/junit.rb).
func TestFakeSuitePerGroup(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.AddPipeline(gitlabtest.Pipeline{ID: 7})
	pass := func(class string) gitlabtest.TestCase {
		return gitlabtest.TestCase{Classname: class, Name: "n", Status: "success", SystemOutput: "out"}
	}
	fake.AddJob(7, gitlabtest.Job{ID: 1, Name: "gke 1.35: [deploy]", Tests: []gitlabtest.TestCase{pass("deploy")}})
	fake.AddJob(7, gitlabtest.Job{ID: 2, Name: "gke 1.35: [runner]", Status: "failed", Tests: []gitlabtest.TestCase{pass("old")}})
	fake.AddJob(7, gitlabtest.Job{ID: 3, Name: "gke 1.35: [runner]", Tests: []gitlabtest.TestCase{pass("runner")}})
	fake.AddJob(7, gitlabtest.Job{ID: 4, Name: "gke 1.35: terminal", Tests: []gitlabtest.TestCase{pass("terminal")}})
	_, body := get(t, fake.URL+"/projects/1/pipelines/7/test_report", "PRIVATE-TOKEN", gitlabtest.DefaultToken)
	var report struct {
		Suites []struct {
			Name  string `json:"name"`
			Cases []struct {
				Classname string `json:"classname"`
				Output    any    `json:"system_output"`
			} `json:"test_cases"`
		} `json:"test_suites"`
	}
	if err := json.Unmarshal(body, &report); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range report.Suites {
		var classes []string
		for _, c := range s.Cases {
			classes = append(classes, c.Classname)
			if c.Output != nil {
				t.Errorf("passing case %s kept its output", c.Classname)
			}
		}
		got = append(got, s.Name+"="+strings.Join(classes, ","))
	}
	if want := []string{"gke 1.35=deploy,runner", "gke 1.35: terminal=terminal"}; strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("suites %v, want %v", got, want)
	}
}

// TestFakeCommitToExistingBranch: a commit that names a start branch and a
// branch that already exists is refused with GitLab's text
// (app/services/commits/create_service.rb validate_branch_existence!).
func TestFakeCommitToExistingBranch(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.SetFile("main", "a.txt", []byte("a"))
	fake.SetFile("topic", "a.txt", []byte("b"))
	body := `{"branch":"topic","start_branch":"main","commit_message":"m","actions":[{"action":"update","file_path":"a.txt","content":"c"}]}`
	req, _ := http.NewRequest(http.MethodPost, fake.URL+"/projects/1/repository/commits", strings.NewReader(body))
	req.Header.Set("PRIVATE-TOKEN", gitlabtest.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want := `{"message":"A branch called 'topic' already exists. Switch to that branch in order to make changes"}`
	if resp.StatusCode != 400 || string(got) != want {
		t.Errorf("%d %s, want 400 %s", resp.StatusCode, got, want)
	}
}
