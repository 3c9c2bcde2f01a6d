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

func TestFakeChecksToken(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.SetToken("job-123", true)
	tests := []struct {
		name, header, token string
		want                int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"wrong header", "PRIVATE-TOKEN", "job-123", http.StatusUnauthorized},
		{"wrong token", "JOB-TOKEN", "job-999", http.StatusUnauthorized},
		{"job token", "JOB-TOKEN", "job-123", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, fake.URL+"/projects/1", tc.header, tc.token)
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}
	log := fake.Log()
	if len(log) != 4 || log[3].Auth != "JOB-TOKEN" || log[0].Status != http.StatusUnauthorized {
		t.Errorf("log = %+v", log)
	}
}
