// Package publish puts a run's outcome where people read it: it commits the
// support table and the run history to the repository through the GitLab
// API (scheduled runs), or keeps one note per merge request up to date with
// the plan and the results of the cells that ran (merge-request runs).
//
// Commits never overwrite a concurrent change: every updated file carries
// the last_commit_id it was read at, and a refused commit is re-read,
// re-merged and retried a bounded number of times. A level that drops from
// supported goes to a branch and a merge request for a person to review.
package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// API is what publish needs of GitLab; *gitlab.Client provides it.
type API interface {
	GetFile(ctx context.Context, path, ref string) ([]byte, string, error)
	CreateCommit(ctx context.Context, req gitlab.CommitRequest) (*gitlab.Commit, error)
	FindMergeRequest(ctx context.Context, source string) (*gitlab.MergeRequest, error)
	CreateMergeRequest(ctx context.Context, source, target, title, description string) (*gitlab.MergeRequest, error)
	ListMergeRequestNotes(ctx context.Context, iid int64) ([]gitlab.Note, error)
	CreateMergeRequestNote(ctx context.Context, iid int64, body string) (*gitlab.Note, error)
	UpdateMergeRequestNote(ctx context.Context, iid, noteID int64, body string) (*gitlab.Note, error)
}

// File is one rendered file to commit, by its path in the repository.
type File struct {
	Path    string
	Content []byte
}

// Rendered is what a results history renders to: the files to commit and,
// per distribution × minor ("gke/1.35"), its level, to detect downgrades.
type Rendered struct {
	Files  []File
	Levels map[string]string
	// Report is the report the files were rendered from; with
	// CommitOptions.LogPath, its level changes are appended to the level
	// log in the same commit.
	Report *report.Report
}

// CommitOptions configure Commit.
type CommitOptions struct {
	// Branch is the default branch the table lives on.
	Branch string
	// ResultsPath is the run history's path in the repository
	// (matrix/results.json).
	ResultsPath string
	// Run holds this run's results: the runs to merge into the
	// repository's copy.
	Run *results.File
	// Render turns the merged history into the files to commit (the
	// results file itself is added by Commit) and the levels.
	Render func(*results.File) (*Rendered, error)
	// LogPath is the level log's path in the repository
	// (matrix/levels.log): every level change the commit makes is
	// appended to it, never truncated (report.UpdateLog). Empty: no log.
	LogPath string
	// Bound keeps the history bounded: counting runs and previews kept.
	BoundCounting, BoundPreviews int
	// Message is the commit message.
	Message string
	// DowngradeBranch receives the commit, and a merge request is opened
	// from it, when a level drops from supported. It is created from
	// Branch, so it must be new for each run. Default
	// "supportmatrix/downgrade-<newest pipeline of Run>".
	DowngradeBranch string
	// MaxAttempts bounds the re-read, re-merge, retry loop on conflicts.
	MaxAttempts int
	// Log receives one line per step.
	Log io.Writer
}

// Outcome says what Commit did.
type Outcome struct {
	Committed bool
	Commit    *gitlab.Commit
	Branch    string // where the commit went
	Attempts  int
	// Downgrades lists "gke/1.35: supported -> failing" when a level
	// dropped from supported; the commit then went to a merge request.
	Downgrades   []string
	MergeRequest *gitlab.MergeRequest
	Changed      []string // the paths the commit changed
	// LevelChanges are the entries the commit appended to the level log.
	LevelChanges []report.LogEntry
}

// Supported is the level whose loss needs a person's review.
const Supported = "supported"

// ErrTooManyConflicts means every attempt met a concurrent commit.
var ErrTooManyConflicts = errors.New("publish: the files kept changing under us")

// ErrNotCounting means a history to publish holds a run that must never
// count toward the published table: a local run (run --local, a rehearsal)
// or a preview (a merge request, a push, another branch).
var ErrNotCounting = errors.New("not a counting run")

// CheckCounting refuses a history that holds local or preview runs: the
// table on the default branch rests on scheduled and web runs of the default
// branch only. what names the history in the error.
func CheckCounting(what string, f *results.File) error {
	for _, r := range f.Runs {
		switch {
		case r.Local:
			return fmt.Errorf("%s holds local run #%d: %w: local runs are rehearsals and never count toward the published table; publish the results of a scheduled or web pipeline on the default branch (publish --pipeline $CI_PIPELINE_ID), and keep local histories out of the repository", what, r.Pipeline, ErrNotCounting)
		case !r.Counts:
			return fmt.Errorf("%s holds pipeline #%d (%s on %s), a preview: %w: only scheduled and web pipelines on the default branch count; note merge-request runs with publish --mr-note", what, r.Pipeline, r.Source, r.Ref, ErrNotCounting)
		}
	}
	return nil
}

// Commit merges opts.Run into the repository's run history, renders the
// table from the merged history, and commits every file that changed in one
// commit. Nothing changed: no commit.
//
// A history holding local or preview runs, this run's or the repository's,
// is refused (ErrNotCounting) before anything is written.
func Commit(ctx context.Context, api API, opts CommitOptions) (*Outcome, error) {
	if opts.Run != nil {
		if err := CheckCounting("the results to publish", opts.Run); err != nil {
			return &Outcome{Branch: opts.Branch}, err
		}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.DowngradeBranch == "" {
		opts.DowngradeBranch = "supportmatrix/downgrade"
		if opts.Run != nil && len(opts.Run.Runs) > 0 {
			opts.DowngradeBranch += fmt.Sprintf("-%d", opts.Run.Runs[0].Pipeline)
		}
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	out := &Outcome{Branch: opts.Branch}
	for attempt := 1; attempt <= opts.MaxAttempts; attempt++ {
		out.Attempts = attempt
		err := commitOnce(ctx, api, opts, out)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, gitlab.ErrConflict) {
			return out, err
		}
		fmt.Fprintf(opts.Log, "publish: attempt %d met a concurrent commit; re-reading and merging again\n", attempt)
	}
	return out, fmt.Errorf("%w: %d attempts", ErrTooManyConflicts, opts.MaxAttempts)
}

// remoteFile is a file as the repository has it on a branch.
type remoteFile struct {
	content  []byte
	commitID string
	exists   bool
}

func readRemote(ctx context.Context, api API, path, ref string) (remoteFile, error) {
	data, id, err := api.GetFile(ctx, path, ref)
	if errors.Is(err, gitlab.ErrNotFound) {
		return remoteFile{}, nil
	}
	if err != nil {
		return remoteFile{}, err
	}
	return remoteFile{content: data, commitID: id, exists: true}, nil
}

func commitOnce(ctx context.Context, api API, opts CommitOptions, out *Outcome) error {
	remote, err := readRemote(ctx, api, opts.ResultsPath, opts.Branch)
	if err != nil {
		return err
	}
	before := results.New()
	if remote.exists {
		if before, err = results.Parse(opts.ResultsPath+" on "+opts.Branch, remote.content); err != nil {
			return err
		}
		if err := CheckCounting(opts.ResultsPath+" on "+opts.Branch, before); err != nil {
			return err
		}
	}
	merged := results.New()
	merged.MergeFile(before)
	merged.MergeFile(opts.Run)
	if opts.BoundCounting > 0 {
		merged.Bound(opts.BoundCounting, opts.BoundPreviews)
	}
	data, err := merged.Marshal()
	if err != nil {
		return err
	}
	was, err := opts.Render(before)
	if err != nil {
		return fmt.Errorf("render the table before this run: %w", err)
	}
	now, err := opts.Render(merged)
	if err != nil {
		return fmt.Errorf("render the table: %w", err)
	}
	out.Downgrades = downgrades(was.Levels, now.Levels)
	branch := opts.Branch
	if len(out.Downgrades) > 0 {
		branch = opts.DowngradeBranch
	}
	out.Branch = branch

	files := append([]File{{Path: opts.ResultsPath, Content: data}}, now.Files...)
	out.LevelChanges = nil
	if opts.LogPath != "" && now.Report != nil {
		// The level log is append-only: read it again on every attempt,
		// so that a concurrent publish's entries are kept, and add only
		// what this table changes against its last entries.
		log, err := readRemote(ctx, api, opts.LogPath, opts.Branch)
		if err != nil {
			return err
		}
		content, changes, err := report.UpdateLog(opts.LogPath+" on "+opts.Branch, log.content, now.Report)
		if err != nil {
			return err
		}
		out.LevelChanges = changes
		if len(changes) > 0 {
			files = append(files, File{Path: opts.LogPath, Content: content})
		}
	}
	// Compare with, and guard against, the default branch's copy: a
	// downgrade branch starts from it.
	req := gitlab.CommitRequest{Branch: branch, StartBranch: opts.Branch, Message: opts.Message}
	req.Actions, out.Changed, err = fileActions(ctx, api, files, opts.Branch, map[string]remoteFile{opts.ResultsPath: remote})
	if err != nil {
		return err
	}
	if len(req.Actions) == 0 {
		fmt.Fprintf(opts.Log, "publish: nothing changed on %s; no commit\n", opts.Branch)
		return nil
	}
	c, err := api.CreateCommit(ctx, req)
	if errors.Is(err, gitlab.ErrBranchExists) && branch != opts.Branch {
		// A re-run of this pipeline's publish: the downgrade branch is
		// there from the first run ("A branch called '…' already exists",
		// app/services/commits/create_service.rb). Commit onto it instead,
		// against its own copies of the files.
		fmt.Fprintf(opts.Log, "publish: %s exists (a re-run); committing onto it\n", branch)
		req = gitlab.CommitRequest{Branch: branch, Message: opts.Message}
		if req.Actions, out.Changed, err = fileActions(ctx, api, files, branch, nil); err != nil {
			return err
		}
		c = nil
		if len(req.Actions) > 0 {
			c, err = api.CreateCommit(ctx, req)
		}
	}
	if err != nil {
		return err
	}
	if c != nil {
		out.Committed, out.Commit = true, c
		fmt.Fprintf(opts.Log, "publish: committed %s to %s (%s)\n", strings.Join(out.Changed, ", "), branch, c.ID)
	} else {
		fmt.Fprintf(opts.Log, "publish: %s already holds this table; no commit\n", branch)
	}
	if branch == opts.Branch {
		return nil
	}
	mr, err := api.FindMergeRequest(ctx, branch)
	if err != nil && !errors.Is(err, gitlab.ErrNotFound) {
		return err
	}
	if mr == nil {
		desc := "A scheduled run lowered support levels, so the table was not committed to " + opts.Branch +
			" directly. Review the failing cells before merging:\n\n- " + strings.Join(out.Downgrades, "\n- ") + "\n"
		mr, err = api.CreateMergeRequest(ctx, branch, opts.Branch, "Support levels dropped: "+strings.Join(out.Downgrades, "; "), desc)
		if err != nil {
			return err
		}
	}
	out.MergeRequest = mr
	fmt.Fprintf(opts.Log, "publish: a level dropped from supported; opened merge request !%d for review\n", mr.IID)
	return nil
}

// fileActions turns the files to commit into the actions that change them
// on ref: unchanged files are left out, an existing file is updated with
// the last_commit_id it was read at (GitLab refuses the commit if it
// changed since), a missing one created. known holds files already read on
// ref. It returns the actions and the changed paths.
func fileActions(ctx context.Context, api API, files []File, ref string, known map[string]remoteFile) ([]gitlab.FileAction, []string, error) {
	var actions []gitlab.FileAction
	var changed []string
	for _, f := range files {
		cur, ok := known[f.Path]
		if !ok {
			var err error
			if cur, err = readRemote(ctx, api, f.Path, ref); err != nil {
				return nil, nil, err
			}
		}
		if cur.exists && bytes.Equal(cur.content, f.Content) {
			continue
		}
		a := gitlab.FileAction{Action: gitlab.ActionCreate, Path: f.Path, Content: f.Content}
		if cur.exists {
			a.Action, a.LastCommitID = gitlab.ActionUpdate, cur.commitID
		}
		actions = append(actions, a)
		changed = append(changed, f.Path)
	}
	return actions, changed, nil
}

// downgrades lists the distribution × minors that were supported before and
// are not now, in sorted order.
func downgrades(before, after map[string]string) []string {
	var out []string
	for k, lvl := range before {
		if lvl == Supported && after[k] != Supported {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, lvl, after[k]))
		}
	}
	sort.Strings(out)
	return out
}
