package publish_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

const logPath = "matrix/levels.log"

// optionsAt is options with the level log, judged at now.
func (e *env) optionsAt(run *results.File, now time.Time) publish.CommitOptions {
	o := e.options(run)
	o.LogPath = logPath
	o.Render = func(f *results.File) (*publish.Rendered, error) {
		r, _ := docs.BuildReport(e.m, f, repoRoot, report.Options{Now: now})
		return &publish.Rendered{Files: []publish.File{{Path: supportPath, Content: render.Markdown(r)}}, Levels: publish.Levels(r), Report: r}, nil
	}
	return o
}

// TestLevelLogAcrossFourPublishes publishes three green nightly runs and
// then the same history judged ten days later: the log gains each level
// change once, in order, with the run that decided it; publishing again
// adds nothing, and no earlier line is ever lost or rewritten.
func TestLevelLogAcrossFourPublishes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hour := func(n int) time.Time { return day0.Add(time.Duration(n)*24*time.Hour + 2*time.Hour) }
	steps := []struct {
		run  *results.File
		now  time.Time
		want []string // new entries: "cell from->to #pipeline"
	}{
		{scheduled(501, 0, results.Passed), hour(0), []string{"gke/1.35 ->qualifying #501", "gke/1.36 ->qualifying #501"}},
		{scheduled(502, 1, results.Passed), hour(1), nil},
		{scheduled(503, 2, results.Passed), hour(2), []string{"gke/1.35 qualifying->supported #503", "gke/1.36 qualifying->supported #503"}},
		{scheduled(503, 2, results.Passed), hour(2), nil}, // the same run again
		{scheduled(503, 2, results.Passed), hour(12), []string{"gke/1.35 supported->stale #503", "gke/1.36 supported->stale #503"}},
	}
	var log []byte
	var all []string
	for i, s := range steps {
		out, err := publish.Commit(ctx, e.api, e.optionsAt(s.run, s.now))
		if err != nil {
			t.Fatalf("publish %d: %v", i+1, err)
		}
		var got []string
		for _, c := range out.LevelChanges {
			got = append(got, c.Cell+" "+string(c.From)+"->"+string(c.To)+" #"+itoa(c.Pipeline))
		}
		if strings.Join(got, "|") != strings.Join(s.want, "|") {
			t.Errorf("publish %d logged %v, want %v", i+1, got, s.want)
		}
		all = append(all, s.want...)
		now, _ := e.fake.File("main", logPath)
		if !bytes.HasPrefix(now, log) {
			t.Fatalf("publish %d rewrote the log:\nbefore:\n%s\nafter:\n%s", i+1, log, now)
		}
		log = now
		if out.Branch != "main" {
			t.Errorf("publish %d went to %s: staleness is not a reviewed downgrade", i+1, out.Branch)
		}
	}
	entries, err := report.ParseLog(logPath, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(all) {
		t.Fatalf("%d entries in the log, want %d:\n%s", len(entries), len(all), log)
	}
	for i, en := range entries {
		if got := en.Cell + " " + string(en.From) + "->" + string(en.To) + " #" + itoa(en.Pipeline); got != all[i] {
			t.Errorf("entry %d = %s, want %s", i, got, all[i])
		}
	}
	if last := entries[len(entries)-1]; !last.At.Equal(hour(12)) || !strings.Contains(last.Reason, "older than max_age 8d") {
		t.Errorf("the stale entry %+v should carry the time it was judged and why", last)
	}
	// The log outlives the bounded history: bound it to one run and the
	// log still traces every level.
	o := e.optionsAt(scheduled(504, 13, results.Passed), hour(13))
	o.BoundCounting = 1
	if _, err := publish.Commit(ctx, e.api, o); err != nil {
		t.Fatal(err)
	}
	if got := pipelines(e.remoteResults(t, "main")); len(got) != 1 {
		t.Fatalf("history %v, want one run", got)
	}
	after, _ := e.fake.File("main", logPath)
	if !bytes.HasPrefix(after, log) {
		t.Error("bounding the run history truncated the level log")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestLocalHistoryRefused: publish never puts a local or preview run on
// the default branch, from this run's results or the repository's copy.
func TestLocalHistoryRefused(t *testing.T) {
	ctx := context.Background()
	local := scheduled(1, 0, results.Passed)
	local.Runs[0].Local, local.Runs[0].Counts, local.Runs[0].Source = true, false, "local"
	preview := scheduled(601, 0, results.Passed)
	preview.Runs[0].Counts, preview.Runs[0].Source, preview.Runs[0].MR = false, "merge_request_event", 7

	for name, tc := range map[string]struct {
		run    *results.File
		remote *results.File
		want   string
	}{
		"local run":             {run: local, want: "local run #1"},
		"preview run":           {run: preview, want: "pipeline #601 (merge_request_event on main), a preview"},
		"local run in the repo": {run: scheduled(602, 1, results.Passed), remote: local, want: "matrix/results.json on main holds local run #1"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if tc.remote != nil {
				data, _ := tc.remote.Marshal()
				e.fake.SetFile("main", resultsPath, data)
			}
			commits := len(e.fake.Commits())
			_, err := publish.Commit(ctx, e.api, e.optionsAt(tc.run, day0))
			if !errors.Is(err, publish.ErrNotCounting) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrNotCounting naming %q", err, tc.want)
			}
			if len(e.fake.Commits()) != commits {
				t.Error("a refused publish committed")
			}
		})
	}
}
