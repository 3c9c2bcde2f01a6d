// Package gitlabtest is a fake GitLab REST API for tests: an httptest server
// that answers on GitLab's real paths (/api/v4/projects/:id/pipelines/:pid/jobs,
// .../bridges, .../test_report, /repository/files/:path, /repository/commits,
// /merge_requests/:iid/notes, ...) with JSON shaped like GitLab's, paginates
// like GitLab (page, per_page up to 100, X-Next-Page, X-Total, Link), checks
// the PRIVATE-TOKEN or JOB-TOKEN header, and injects faults: 429 with
// Retry-After, 5xx bursts, permanent outages, dropped connections, 401, 403
// and latency. It counts and logs every request.
//
// It holds one project. Tests fill it with pipelines, jobs, bridges, test
// reports, files, merge requests and notes, point pkg/gitlab at URL, and
// inspect the requests and the commits and notes written:
//
//	fake := gitlabtest.New(t)
//	fake.AddPipeline(gitlabtest.Pipeline{ID: 1})
//	fake.AddJob(1, gitlabtest.Job{ID: 10, Name: "gke 1.35: [deploy]", Status: "failed"})
//	fake.Inject(gitlabtest.Fault{Path: "/jobs", Status: 429, RetryAfter: "1", Times: 2})
//	c, err := gitlab.New(gitlab.Config{BaseURL: fake.URL, Token: gitlabtest.DefaultToken,
//		Project: fake.ProjectPath, Sleep: func(time.Duration) {}})
package gitlabtest

import (
	"archive/zip"
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// Defaults of a new Server.
const (
	DefaultProjectID   = 1
	DefaultProjectPath = "group/project"
	DefaultToken       = "glpat-fake-token-0123456789"
	DefaultBranch      = "main"
)

// DefaultVersion is the GitLab version the fake plays: the oldest the tool
// supports (pipeline.gitlab's default).
var DefaultVersion = cicheck.DefaultGitLab

// epoch is the fixed time every generated timestamp derives from, so that
// responses are deterministic.
var epoch = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// Pipeline is a pipeline the fake serves.
type Pipeline struct {
	ID int64
	// ProjectID defaults to the server's project.
	ProjectID int64
	// Source defaults to push; child pipelines use parent_pipeline.
	Source string
	// Ref defaults to main, SHA to a fixed commit id.
	Ref, SHA string
	// Status defaults to success.
	Status string
	// CreatedAt defaults to a fixed time derived from ID.
	CreatedAt time.Time
}

// Job is a job (one attempt) the fake serves.
type Job struct {
	ID int64
	// Name and Stage as in the CI YAML; Stage defaults to test.
	Name, Stage string
	// Status defaults to success.
	Status string
	// FailureReason is set for failed jobs (script_failure, ...).
	FailureReason string
	AllowFailure  bool
	// Duration in seconds; StartedAt/FinishedAt are derived from it.
	Duration float64
	// Tests are the cases of the job's JUnit report. The job then has an
	// artifacts archive holding junit/report.xml (GET .../jobs/:id/artifacts),
	// and the pipeline's test report is built from them the way GitLab
	// builds it: one suite per job group, latest attempts only.
	Tests []TestCase
	// Files are more files of the job's artifacts archive, by name (the
	// parent's generate job: out/manifest.json, out/plan.md). A job with
	// neither Tests nor Files has no archive: 404, as GitLab answers.
	Files map[string][]byte
}

// Bridge is a trigger job the fake serves.
type Bridge struct {
	ID          int64
	Name, Stage string
	// Status defaults to success.
	Status string
	// Downstream is the id of a pipeline added with AddPipeline, or 0.
	Downstream int64
}

// TestCase is one test case of a test report.
type TestCase struct {
	Name, Classname string
	// Status is success, failed, skipped or error.
	Status        string
	SystemOutput  string
	ExecutionTime float64
	File          string
}

// TestSuite is one job's test results.
type TestSuite struct {
	Name  string
	Cases []TestCase
}

// Commit is a commit made through the fake's API or SetFile.
type Commit struct {
	ID, Branch, Message string
	// Actions holds "create path" / "update path" entries in order.
	Actions []string
}

// MergeRequest is a merge request of the fake project.
type MergeRequest struct {
	IID                        int64
	Title, Description, State  string
	SourceBranch, TargetBranch string
}

// Note is a merge request note.
type Note struct {
	ID     int64
	Body   string
	Author string
	System bool
}

// Fault makes matching requests fail. Faults are consulted in the order they
// were added; the first matching one with requests left answers.
type Fault struct {
	// Method matches the HTTP method ("" matches any).
	Method string
	// Path matches when it is a substring of the decoded path below /api/v4,
	// for example "/test_report" or "/pipelines/7/jobs" ("" matches any).
	Path string
	// Status is the HTTP status to answer; Drop closes the connection
	// without an answer instead.
	Status int
	// Drop answers with a dropped connection (a transport error).
	Drop bool
	// Times is how many matching requests fail; a negative value fails them
	// all (a permanent outage).
	Times int
	// RetryAfter and RateLimitReset set those headers when not empty.
	RetryAfter, RateLimitReset string
	// Body replaces GitLab's usual {"message": "..."} body.
	Body string
	// AfterApply lets the request take effect first and then answers Status:
	// a POST that reached GitLab although the client saw a 502.
	AfterApply bool
	// Truncate answers the real status and headers but cuts the body in
	// the middle: a connection lost mid-transfer.
	Truncate bool
	// Hang never answers, until the client gives up.
	Hang bool
}

// Request is one logged request.
type Request struct {
	Method string
	// Path is the decoded path below /api/v4.
	Path string
	// Query is the raw query string.
	Query string
	// Status is the HTTP status answered (0 for a dropped connection).
	Status int
	// Auth is the name of the token header sent: PRIVATE-TOKEN, JOB-TOKEN or "".
	Auth string
}

type file struct {
	content    []byte
	lastCommit string
}

type branch struct {
	head  string
	files map[string]*file
}

// Server is a fake GitLab holding one project. Its methods are safe for
// concurrent use.
type Server struct {
	// URL is the API root to use as BaseURL, ending in /api/v4.
	URL string
	// ProjectID and ProjectPath identify the project; requests may use
	// either (the path URL-encoded).
	ProjectID   int64
	ProjectPath string

	srv         *httptest.Server
	conns       atomic.Int64
	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64

	mu            sync.Mutex
	token         string
	jobToken      bool
	version       cicheck.Version
	public        bool
	latency       time.Duration
	omitTotals    bool
	defaultBranch string
	pipelines     map[int64]*Pipeline
	rendered      map[int64]json.RawMessage // job id -> JSON, cleared by AddPipeline
	jobs          map[int64][]Job
	bridges       map[int64][]Bridge
	reports       map[int64][]TestSuite
	branches      map[string]*branch
	commits       []Commit
	mrs           []*MergeRequest
	notes         map[int64][]*Note
	nextNote      int64
	faults        []*Fault
	log           []Request
	iss           *issueStore // issues, their notes and labels (issues.go)
}

// New starts a fake GitLab for project DefaultProjectID (DefaultProjectPath)
// expecting DefaultToken as PRIVATE-TOKEN, with an empty default branch
// DefaultBranch. It is closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		ProjectID:     DefaultProjectID,
		ProjectPath:   DefaultProjectPath,
		token:         DefaultToken,
		version:       DefaultVersion,
		defaultBranch: DefaultBranch,
		pipelines:     map[int64]*Pipeline{},
		jobs:          map[int64][]Job{},
		bridges:       map[int64][]Bridge{},
		reports:       map[int64][]TestSuite{},
		branches:      map[string]*branch{DefaultBranch: {files: map[string]*file{}}},
		notes:         map[int64][]*Note{},
		nextNote:      1000,
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	s.URL = s.srv.URL + "/api/v4"
	tb.Cleanup(s.srv.Close)
	return s
}

// SetToken sets the token the fake accepts and its header: JOB-TOKEN when
// job is true, else PRIVATE-TOKEN. Any other request gets 401.
func (s *Server) SetToken(token string, job bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token, s.jobToken = token, job
}

// SetVersion sets the GitLab version the fake plays, "major.minor". From
// 19.2 it serves GET .../pipelines/:id/trigger_jobs and lets a job token
// list trigger jobs (lib/api/ci/pipelines.rb: /bridges deprecated in 19.2,
// both routes job_token_allowed with the read_pipelines policy); before,
// trigger_jobs is 404 and /bridges refuses a job token.
// A version that does not parse (cicheck.ParseVersion) panics: it is a
// mistake in the test.
func (s *Server) SetVersion(v string) {
	parsed, err := cicheck.ParseVersion(v)
	if err != nil {
		panic("gitlabtest: SetVersion: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = parsed
}

// SetPublic makes the project public: anonymous requests may read it. A
// private project (the default) answers 404 to them, as GitLab does.
func (s *Server) SetPublic(public bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.public = public
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetOmitTotals leaves out X-Total and X-Total-Pages, as GitLab.com does
// past 10,000 records.
func (s *Server) SetOmitTotals(omit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.omitTotals = omit
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Connections returns how many TCP connections clients opened to the fake.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Requests returns how many requests reached the fake.
func (s *Server) Requests() int64 { return s.requests.Load() }

// MaxInFlight returns the largest number of requests the fake was serving
// at the same time.
func (s *Server) MaxInFlight() int64 { return s.maxInFlight.Load() }

// Log returns every request received so far, in arrival order.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// AddPipeline adds a pipeline, filling defaults.
func (s *Server) AddPipeline(p Pipeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ProjectID == 0 {
		p.ProjectID = s.ProjectID
	}
	if p.Source == "" {
		p.Source = "push"
	}
	if p.Ref == "" {
		p.Ref = s.defaultBranch
	}
	if p.SHA == "" {
		p.SHA = "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
	}
	if p.Status == "" {
		p.Status = "success"
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = epoch.Add(time.Duration(p.ID) * time.Second)
	}
	s.pipelines[p.ID] = &p
	s.rendered = nil
}

// AddJob adds a job attempt to pipeline pid. Jobs are served newest (highest
// id) first; without include_retried only the newest attempt per name.
func (s *Server) AddJob(pid int64, j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.Stage == "" {
		j.Stage = "test"
	}
	if j.Status == "" {
		j.Status = "success"
	}
	s.jobs[pid] = append(s.jobs[pid], j)
}

// AddBridge adds a trigger job to pipeline pid.
func (s *Server) AddBridge(pid int64, b Bridge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Stage == "" {
		b.Stage = "test"
	}
	if b.Status == "" {
		b.Status = "success"
	}
	s.bridges[pid] = append(s.bridges[pid], b)
}

// SetTestReport sets the test report of pipeline pid.
func (s *Server) SetTestReport(pid int64, suites []TestSuite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[pid] = suites
}

// SetFile commits content at path on branch (created if needed) and returns
// the commit id.
func (s *Server) SetFile(branchName, path string, content []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.branch(branchName)
	action := "create"
	if b.files[path] != nil {
		action = "update"
	}
	id := s.commitID(branchName, "set "+path, content)
	b.files[path] = &file{content: slices.Clone(content), lastCommit: id}
	b.head = id
	s.commits = append(s.commits, Commit{ID: id, Branch: branchName, Message: "set " + path, Actions: []string{action + " " + path}})
	return id
}

// File returns the content of path on branch.
func (s *Server) File(branchName, path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.branches[branchName]
	if b == nil || b.files[path] == nil {
		return nil, false
	}
	return slices.Clone(b.files[path].content), true
}

// Commits returns every commit made, oldest first.
func (s *Server) Commits() []Commit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commits)
}

// Branches returns the names of the existing branches, sorted.
func (s *Server) Branches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.branches {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// AddMergeRequest adds a merge request (State defaults to opened).
func (s *Server) AddMergeRequest(mr MergeRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mr.State == "" {
		mr.State = "opened"
	}
	s.mrs = append(s.mrs, &mr)
}

// MergeRequests returns every merge request, in creation order.
func (s *Server) MergeRequests() []MergeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MergeRequest, 0, len(s.mrs))
	for _, m := range s.mrs {
		out = append(out, *m)
	}
	return out
}

// AddNote adds a note to merge request iid and returns its id.
func (s *Server) AddNote(iid int64, n Note) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextNote++
	n.ID = s.nextNote
	s.notes[iid] = append(s.notes[iid], &n)
	return n.ID
}

// Notes returns the notes of merge request iid, oldest first.
func (s *Server) Notes(iid int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Note, 0, len(s.notes[iid]))
	for _, n := range s.notes[iid] {
		out = append(out, *n)
	}
	return out
}

func (s *Server) branch(name string) *branch {
	b := s.branches[name]
	if b == nil {
		b = &branch{files: map[string]*file{}}
		s.branches[name] = b
	}
	return b
}

// commitID derives a deterministic commit id from the history so far.
func (s *Server) commitID(branchName, msg string, content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00", len(s.commits), branchName, msg)
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// serve handles one request: log, latency, auth, faults, then the route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v4")
	auth := ""
	switch {
	case r.Header.Get("PRIVATE-TOKEN") != "":
		auth = "PRIVATE-TOKEN"
	case r.Header.Get("JOB-TOKEN") != "":
		auth = "JOB-TOKEN"
	}
	s.mu.Lock()
	latency := s.latency
	idx := len(s.log)
	s.log = append(s.log, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Auth: auth})
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.log[idx].Status = rec.status
		s.mu.Unlock()
	}()
	if !s.serveAtBarrier(rec, r, path) {
		s.handle(rec, r, path)
	}
}

func (s *Server) handle(w *statusRecorder, r *http.Request, path string) {
	s.mu.Lock()
	auth := s.authenticate(r)
	public := s.public
	fault := s.takeFault(r.Method, path)
	s.mu.Unlock()

	switch {
	case auth == authInvalid:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	case auth == authAnonymous && !public:
		// GitLab hides a private project from anonymous requests (and from
		// a job token on a route that does not accept one, which GitLab
		// ignores): find_project! answers not_found!('Project')
		// (lib/api/helpers.rb).
		notFound(w, "404 Project Not Found")
		return
	case auth == authAnonymous && r.Method != http.MethodGet:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	if fault != nil && fault.Hang {
		<-r.Context().Done()
		return
	}
	if fault != nil && fault.Truncate {
		rec := httptest.NewRecorder()
		s.route(rec, r, path)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.Flush()
		panic(http.ErrAbortHandler)
	}
	if fault != nil && !fault.AfterApply {
		s.writeFault(w, fault)
		return
	}
	if fault != nil {
		s.route(httptest.NewRecorder(), r, path)
		s.writeFault(w, fault)
		return
	}
	s.route(w, r, path)
}

// How a request authenticated.
const (
	authAnonymous = iota // no token, or a job token on a route that ignores it
	authInvalid          // a token GitLab does not know: 401
	authOK
)

// authenticate decides like GitLab (lib/api/helpers/authentication.rb,
// lib/gitlab/auth/auth_finders.rb): a PRIVATE-TOKEN is checked on every
// route; a JOB-TOKEN only on routes marked job_token_allowed, and ignored
// (the request is anonymous) on the others. s.mu held.
func (s *Server) authenticate(r *http.Request) int {
	if t := r.Header.Get("PRIVATE-TOKEN"); t != "" {
		if !s.jobToken && t == s.token {
			return authOK
		}
		return authInvalid
	}
	if t := r.Header.Get("JOB-TOKEN"); t != "" {
		if !s.jobTokenAllowed(r) {
			return authAnonymous
		}
		if s.jobToken && t == s.token {
			return authOK
		}
		return authInvalid
	}
	return authAnonymous
}

// jobTokenAllowed lists the routes the tool uses that accept a CI job
// token: GET .../pipelines/:id/jobs (lib/api/ci/pipelines.rb, route_setting
// :authentication, job_token_allowed: true), the artifacts download GET
// .../jobs/:id/artifacts[/*path] (lib/api/ci/job_artifacts.rb), and from
// 19.2 the trigger-job lists (.../bridges, .../trigger_jobs). Not GET
// .../pipelines/:id, not .../test_report, not commits, files or notes.
// s.mu held.
func (s *Server) jobTokenAllowed(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	seg := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	if len(seg) < 6 || seg[2] != "projects" {
		return false
	}
	rest := seg[4:]
	switch {
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "jobs":
		return true
	case len(rest) >= 3 && rest[0] == "jobs" && rest[2] == "artifacts":
		return true
	case len(rest) == 3 && rest[0] == "pipelines" && (rest[2] == "bridges" || rest[2] == "trigger_jobs"):
		return s.version.AtLeast(cicheck.TriggerJobs)
	}
	return false
}

// takeFault returns the first matching fault with requests left; s.mu held.
func (s *Server) takeFault(method, path string) *Fault {
	for _, f := range s.faults {
		if f.Times == 0 || (f.Method != "" && f.Method != method) || !strings.Contains(path, f.Path) {
			continue
		}
		if f.Times > 0 {
			f.Times--
		}
		return f
	}
	return nil
}

func (s *Server) writeFault(w *statusRecorder, f *Fault) {
	if f.Drop {
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.RateLimitReset != "" {
		w.Header().Set("RateLimit-Reset", f.RateLimitReset)
	}
	body := f.Body
	if body == "" {
		switch f.Status {
		case http.StatusTooManyRequests:
			body = "Retry later"
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(f.Status)
			io.WriteString(w, body)
			return
		default:
			b, _ := json.Marshal(map[string]string{"message": fmt.Sprintf("%d %s", f.Status, http.StatusText(f.Status))})
			body = string(b)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	io.WriteString(w, body)
}

// route dispatches on GitLab's paths.
func (s *Server) route(w http.ResponseWriter, r *http.Request, path string) {
	seg := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	// seg: api v4 projects :id ...
	if len(seg) < 4 || seg[0] != "api" || seg[1] != "v4" || seg[2] != "projects" {
		notFound(w, "404 Not Found")
		return
	}
	for i := range seg {
		if u, err := url.PathUnescape(seg[i]); err == nil {
			seg[i] = u
		}
	}
	if seg[3] != strconv.FormatInt(s.ProjectID, 10) && seg[3] != s.ProjectPath {
		notFound(w, "404 Project Not Found")
		return
	}
	rest := seg[4:]
	m := r.Method
	switch {
	case len(rest) == 0 && m == http.MethodGet:
		s.getProject(w)
	case len(rest) == 2 && rest[0] == "pipelines" && m == http.MethodGet:
		s.getPipeline(w, rest[1])
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "jobs" && m == http.MethodGet:
		s.listJobs(w, r, rest[1])
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "bridges" && m == http.MethodGet:
		s.listBridges(w, r, rest[1])
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "trigger_jobs" && m == http.MethodGet && s.hasTriggerJobs():
		s.listBridges(w, r, rest[1])
	case len(rest) == 3 && rest[0] == "jobs" && rest[2] == "artifacts" && m == http.MethodGet:
		s.jobArtifacts(w, rest[1])
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "test_report" && m == http.MethodGet:
		s.testReport(w, rest[1])
	case len(rest) == 3 && rest[0] == "repository" && rest[1] == "files" && m == http.MethodGet:
		s.getFile(w, r, rest[2])
	case len(rest) == 2 && rest[0] == "repository" && rest[1] == "commits" && m == http.MethodPost:
		s.createCommit(w, r)
	case len(rest) == 2 && rest[0] == "repository" && rest[1] == "branches" && m == http.MethodPost:
		s.createBranch(w, r)
	case len(rest) == 1 && rest[0] == "merge_requests" && m == http.MethodGet:
		s.listMRs(w, r)
	case len(rest) == 1 && rest[0] == "merge_requests" && m == http.MethodPost:
		s.createMR(w, r)
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "notes" && m == http.MethodGet:
		s.listNotes(w, r, rest[1])
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "notes" && m == http.MethodPost:
		s.createNote(w, r, rest[1])
	case len(rest) == 4 && rest[0] == "merge_requests" && rest[2] == "notes" && m == http.MethodPut:
		s.updateNote(w, r, rest[1], rest[3])
	case s.routeIssues(w, r, rest):
	default:
		notFound(w, "404 Not Found")
	}
}

// hasTriggerJobs reports whether the fake's version serves trigger_jobs.
func (s *Server) hasTriggerJobs() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version.AtLeast(cicheck.TriggerJobs)
}

func (s *Server) webBase() string {
	return s.srv.URL + "/" + s.ProjectPath
}

func (s *Server) getProject(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": s.ProjectID, "name": s.ProjectPath[strings.LastIndex(s.ProjectPath, "/")+1:],
		"path_with_namespace": s.ProjectPath, "default_branch": s.defaultBranch,
		"web_url": s.webBase(), "visibility": "private",
	})
}

// pipelineBasic is a pipeline as GitLab's Entities::Ci::PipelineBasic
// exposes it (lib/api/entities/ci/pipeline_basic.rb): in the pipelines
// list, and in each job and trigger job of the Jobs API.
type pipelineBasic struct {
	CreatedAt string `json:"created_at"`
	ID        int64  `json:"id"`
	IID       int64  `json:"iid"`
	ProjectID int64  `json:"project_id"`
	Ref       string `json:"ref"`
	SHA       string `json:"sha"`
	Source    string `json:"source"`
	Status    string `json:"status"`
	UpdatedAt string `json:"updated_at"`
	WebURL    string `json:"web_url"`
}

func (s *Server) pipelineJSON(p *Pipeline) *pipelineBasic {
	return &pipelineBasic{
		ID: p.ID, IID: p.ID % 1000, ProjectID: p.ProjectID, SHA: p.SHA, Ref: p.Ref,
		Status: p.Status, Source: p.Source,
		CreatedAt: p.CreatedAt.Format(time.RFC3339Nano), UpdatedAt: p.CreatedAt.Add(10 * time.Minute).Format(time.RFC3339Nano),
		WebURL: fmt.Sprintf("%s/-/pipelines/%d", s.webBase(), p.ID),
	}
}

// pipelineDetail is a pipeline as GET .../pipelines/:id answers it
// (Entities::Ci::Pipeline, lib/api/entities/ci/pipeline.rb).
type pipelineDetail struct {
	*pipelineBasic
	BeforeSHA      string        `json:"before_sha"`
	CommittedAt    any           `json:"committed_at"`
	Coverage       any           `json:"coverage"`
	DetailedStatus detailedState `json:"detailed_status"`
	Duration       int           `json:"duration"`
	FinishedAt     string        `json:"finished_at"`
	QueuedDuration int           `json:"queued_duration"`
	StartedAt      string        `json:"started_at"`
	Tag            bool          `json:"tag"`
	User           userBasic     `json:"user"`
	YAMLErrors     any           `json:"yaml_errors"`
}

type detailedState struct {
	Group string `json:"group"`
	Icon  string `json:"icon"`
	Label string `json:"label"`
	Text  string `json:"text"`
}

func (s *Server) getPipeline(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupPipeline(id)
	if p == nil {
		notFound(w, "404 Not found")
		return
	}
	writeJSON(w, http.StatusOK, pipelineDetail{
		pipelineBasic:  s.pipelineJSON(p),
		BeforeSHA:      "0000000000000000000000000000000000000000",
		User:           theUser,
		StartedAt:      p.CreatedAt.Add(5 * time.Second).Format(time.RFC3339Nano),
		FinishedAt:     p.CreatedAt.Add(10 * time.Minute).Format(time.RFC3339Nano),
		Duration:       595,
		QueuedDuration: 5,
		DetailedStatus: detailedState{Icon: "status_" + p.Status, Text: p.Status, Label: p.Status, Group: p.Status},
	})
}

func (s *Server) lookupPipeline(id string) *Pipeline {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	return s.pipelines[n]
}

// userBasic is a user as GitLab's Entities::UserBasic exposes it
// (lib/api/entities/user_basic.rb).
type userBasic struct {
	AvatarURL string `json:"avatar_url"`
	ID        int    `json:"id"`
	Name      string `json:"name"`
	State     string `json:"state"`
	Username  string `json:"username"`
	WebURL    string `json:"web_url"`
}

// theUser is the user every pipeline and job of the fake belongs to.
var theUser = userBasic{ID: 1, Name: "Administrator", Username: "root", State: "active", WebURL: "http://gitlab.example/root"}

// jobBody is a job or trigger job the way GitLab's Jobs API renders it
// (Entities::Ci::Job and Entities::Ci::Bridge, lib/api/entities/ci/job.rb
// and bridge.rb). A
// nil field of type any is null; the fields marked omitempty belong to
// one of the two only: artifacts, artifacts_expire_at, project, runner and
// tag_list to jobs, downstream_pipeline to trigger jobs (json.RawMessage
// null when there is none).
type jobBody struct {
	AllowFailure       bool           `json:"allow_failure"`
	Artifacts          any            `json:"artifacts,omitempty"`
	ArtifactsExpireAt  any            `json:"artifacts_expire_at,omitempty"`
	Commit             jobCommit      `json:"commit"`
	Coverage           any            `json:"coverage"`
	CreatedAt          string         `json:"created_at"`
	DownstreamPipeline any            `json:"downstream_pipeline,omitempty"`
	Duration           any            `json:"duration"`
	ErasedAt           any            `json:"erased_at"`
	FailureReason      string         `json:"failure_reason,omitempty"`
	FinishedAt         any            `json:"finished_at"`
	ID                 int64          `json:"id"`
	Name               string         `json:"name"`
	Pipeline           *pipelineBasic `json:"pipeline"`
	Project            *jobProject    `json:"project,omitempty"`
	QueuedDuration     float64        `json:"queued_duration"`
	Ref                string         `json:"ref"`
	Runner             any            `json:"runner,omitempty"`
	Stage              string         `json:"stage"`
	StartedAt          any            `json:"started_at"`
	Status             string         `json:"status"`
	Tag                bool           `json:"tag"`
	TagList            any            `json:"tag_list,omitempty"`
	User               userBasic      `json:"user"`
	WebURL             string         `json:"web_url"`
}

type jobCommit struct {
	AuthorName string `json:"author_name"`
	ID         string `json:"id"`
	ShortID    string `json:"short_id"`
	Title      string `json:"title"`
}

type jobProject struct {
	CIJobTokenScopeEnabled bool `json:"ci_job_token_scope_enabled"`
}

// null is a JSON null in a field that is left out when nil.
var null = json.RawMessage("null")

// jobJSON renders a job or bridge the way GitLab's Jobs API does.
func (s *Server) jobJSON(p *Pipeline, id int64, name, stage, status, reason string, allowFailure bool, duration float64) *jobBody {
	created := p.CreatedAt.Add(time.Duration(id%1000) * time.Millisecond)
	started := created.Add(2 * time.Second)
	finished := started.Add(time.Duration(duration * float64(time.Second)))
	j := &jobBody{
		ID: id, Name: name, Stage: stage, Status: status, Ref: p.Ref,
		AllowFailure: allowFailure,
		CreatedAt:    created.Format(time.RFC3339Nano), StartedAt: started.Format(time.RFC3339Nano),
		FinishedAt: finished.Format(time.RFC3339Nano),
		Duration:   duration, QueuedDuration: 0.5,
		User:   theUser,
		Commit: jobCommit{ID: p.SHA, ShortID: p.SHA[:8], Title: "Update matrix", AuthorName: "Administrator"},
		// Entities::Ci::JobBasic exposes the pipeline as PipelineBasic.
		Pipeline: s.pipelineJSON(p),
		WebURL:   fmt.Sprintf("%s/-/jobs/%d", s.webBase(), id),
	}
	if status == "failed" {
		if reason == "" {
			reason = "script_failure"
		}
		j.FailureReason = reason
	}
	switch status {
	case "created", "pending", "manual", "skipped":
		j.StartedAt, j.FinishedAt, j.Duration = nil, nil, nil
	case "running":
		j.FinishedAt = nil
	}
	return j
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupPipeline(id)
	if p == nil {
		notFound(w, "404 Not found")
		return
	}
	jobs := slices.Clone(s.jobs[p.ID])
	slices.SortFunc(jobs, func(a, b Job) int { return cmp.Compare(b.ID, a.ID) })
	if r.URL.Query().Get("include_retried") != "true" {
		seen := map[string]bool{}
		jobs = slices.DeleteFunc(jobs, func(j Job) bool {
			if seen[j.Name] {
				return true
			}
			seen[j.Name] = true
			return false
		})
	}
	s.writePage(w, r, len(jobs), func(i int) any {
		j := jobs[i]
		if b, ok := s.rendered[j.ID]; ok {
			return b
		}
		jj := s.jobJSON(p, j.ID, j.Name, j.Stage, j.Status, j.FailureReason, j.AllowFailure, j.Duration)
		jj.Artifacts = []any{}
		jj.Runner = null
		jj.ArtifactsExpireAt = null
		jj.TagList = []string{}
		jj.Project = &jobProject{}
		b, err := json.Marshal(jj)
		if err != nil {
			return jj
		}
		if s.rendered == nil {
			s.rendered = map[int64]json.RawMessage{}
		}
		s.rendered[j.ID] = b
		return json.RawMessage(b)
	})
}

func (s *Server) listBridges(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupPipeline(id)
	if p == nil {
		notFound(w, "404 Not found")
		return
	}
	bridges := slices.Clone(s.bridges[p.ID])
	slices.SortFunc(bridges, func(a, b Bridge) int { return cmp.Compare(b.ID, a.ID) })
	s.writePage(w, r, len(bridges), func(i int) any {
		b := bridges[i]
		bj := s.jobJSON(p, b.ID, b.Name, b.Stage, b.Status, "", false, 60)
		bj.FailureReason = "" // the fake does not model bridge failure reasons
		bj.DownstreamPipeline = null
		if d := s.pipelines[b.Downstream]; d != nil {
			bj.DownstreamPipeline = s.pipelineJSON(d)
		}
		return bj
	})
}

// writePage answers one page of n items, rendering only that page's items,
// with GitLab's pagination headers. s.mu is held on entry and on return
// (released while encoding).
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, n int, item func(i int) any) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if perPage < 1 {
		perPage = 20
	}
	perPage = min(perPage, 100)
	total := n
	pages := max(1, (total+perPage-1)/perPage)
	lo := min((page-1)*perPage, total)
	hi := min(lo+perPage, total)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Prev-Page", "")
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
	}
	h.Set("X-Next-Page", "")
	link := func(p int, rel string) string {
		u := *r.URL
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = qq.Encode()
		return fmt.Sprintf("<%s%s>; rel=\"%s\"", s.srv.URL, u.RequestURI(), rel)
	}
	links := []string{}
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"))
	if !s.omitTotals {
		h.Set("X-Total", strconv.Itoa(total))
		h.Set("X-Total-Pages", strconv.Itoa(pages))
		links = append(links, link(pages, "last"))
	}
	h.Set("Link", strings.Join(links, ", "))
	items := make([]any, 0, hi-lo)
	for i := lo; i < hi; i++ {
		items = append(items, item(i))
	}
	// Encode without holding the lock, so that concurrent requests are
	// served in parallel as GitLab would; items hold fresh values only.
	// An item given as JSON already (json.Marshal's) goes in as it is,
	// as json.Marshal would write it, without being read again.
	s.mu.Unlock()
	defer s.mu.Lock()
	body := []byte{'['}
	for i, it := range items {
		if i > 0 {
			body = append(body, ',')
		}
		b, ok := it.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(it); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		body = append(body, b...)
	}
	body = append(body, ']')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) testReport(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupPipeline(id)
	if p == nil {
		notFound(w, "404 Not found")
		return
	}
	type counts struct{ total, success, failed, skipped, errored int }
	add := func(c *counts, status string) {
		c.total++
		switch status {
		case "success":
			c.success++
		case "failed":
			c.failed++
		case "skipped":
			c.skipped++
		case "error":
			c.errored++
		}
	}
	var all counts
	var allTime float64
	suites := []any{}
	report := s.reports[p.ID]
	if report == nil {
		report = s.suitesFromJobs(p.ID)
	}
	for _, su := range report {
		var c counts
		var t float64
		cases := []any{}
		for _, tc := range su.Cases {
			add(&c, tc.Status)
			add(&all, tc.Status)
			t += tc.ExecutionTime
			var out any
			if tc.SystemOutput != "" {
				out = tc.SystemOutput
			}
			cases = append(cases, map[string]any{
				"status": tc.Status, "name": tc.Name, "classname": tc.Classname, "file": nilIfEmpty(tc.File),
				"execution_time": tc.ExecutionTime, "system_output": out, "stack_trace": nil,
				"recent_failures": nil,
			})
		}
		allTime += t
		suites = append(suites, map[string]any{
			"name": su.Name, "total_time": t, "total_count": c.total, "success_count": c.success,
			"failed_count": c.failed, "skipped_count": c.skipped, "error_count": c.errored,
			"suite_error": nil, "test_cases": cases,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"total_time": allTime, "total_count": all.total, "success_count": all.success,
		"failed_count": all.failed, "skipped_count": all.skipped, "error_count": all.errored,
		"test_suites": suites,
	})
}

// suitesFromJobs builds a pipeline's test report from its jobs' JUnit
// cases as GitLab does: the latest attempt of each job only
// (Ci::Pipeline#latest_report_builds), each job's cases in the suite named
// after its group (app/models/ci/build.rb test_suite_name -> group_name,
// cicheck.GroupName), so that jobs of one group share a suite. GitLab's
// JUnit parser keeps no output for passing cases
// (lib/gitlab/ci/parsers/test/junit.rb). s.mu held.
func (s *Server) suitesFromJobs(pid int64) []TestSuite {
	latest := map[string]Job{}
	for _, j := range s.jobs[pid] {
		if cur, ok := latest[j.Name]; !ok || j.ID > cur.ID {
			latest[j.Name] = j
		}
	}
	jobs := make([]Job, 0, len(latest))
	for _, j := range latest {
		if len(j.Tests) > 0 {
			jobs = append(jobs, j)
		}
	}
	slices.SortFunc(jobs, func(a, b Job) int { return cmp.Compare(a.ID, b.ID) })
	var out []TestSuite
	index := map[string]int{}
	for _, j := range jobs {
		name := cicheck.GroupName(j.Name)
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, TestSuite{Name: name})
		}
		for _, tc := range j.Tests {
			if tc.Status == "success" {
				tc.SystemOutput = ""
			}
			out[i].Cases = append(out[i].Cases, tc)
		}
	}
	return out
}

// jobArtifacts serves a job's artifacts archive: a zip holding
// junit/report.xml with the job's test cases; 404 for a job without.
func (s *Server) jobArtifacts(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := strconv.ParseInt(id, 10, 64)
	var job *Job
	for _, js := range s.jobs {
		for i := range js {
			if js[i].ID == n {
				job = &js[i]
			}
		}
	}
	if job == nil || (len(job.Tests) == 0 && len(job.Files) == 0) {
		notFound(w, "404 Not found")
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if len(job.Tests) > 0 {
		f, _ := zw.Create("junit/report.xml")
		_, _ = f.Write(JUnitXML(job.Name, job.Tests)) // into a bytes.Buffer: cannot fail
	}
	names := make([]string, 0, len(job.Files))
	for name := range job.Files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f, _ := zw.Create(name)
		_, _ = f.Write(job.Files[name]) // into a bytes.Buffer: cannot fail
	}
	zw.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// JUnitXML renders test cases as a JUnit report the way the default
// templates write one.
func JUnitXML(suite string, cases []TestCase) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s)) // into a bytes.Buffer: cannot fail
		return e.String()
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"%s\" tests=\"%d\">\n", esc(suite), len(cases))
	for _, tc := range cases {
		fmt.Fprintf(&b, "  <testcase classname=\"%s\" name=\"%s\" time=\"%g\">\n", esc(tc.Classname), esc(tc.Name), tc.ExecutionTime)
		switch tc.Status {
		case "failed":
			fmt.Fprintf(&b, "    <failure message=\"%s failed\"/>\n", esc(tc.Name))
		case "error":
			fmt.Fprintf(&b, "    <error message=\"%s errored\"/>\n", esc(tc.Name))
		case "skipped":
			b.WriteString("    <skipped/>\n")
		}
		if tc.SystemOutput != "" {
			fmt.Fprintf(&b, "    <system-out>%s</system-out>\n", esc(tc.SystemOutput))
		}
		b.WriteString("  </testcase>\n")
	}
	b.WriteString("</testsuite>\n")
	return b.Bytes()
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "ref is missing"})
		return
	}
	b := s.branches[ref]
	if b == nil || b.files[path] == nil {
		notFound(w, "404 File Not Found")
		return
	}
	f := b.files[path]
	sum := sha1.Sum(f.content)
	writeJSON(w, http.StatusOK, map[string]any{
		"file_name": path[strings.LastIndex(path, "/")+1:], "file_path": path, "size": len(f.content),
		"encoding": "base64", "content": base64.StdEncoding.EncodeToString(f.content),
		"content_sha256": "", "ref": ref, "blob_id": hex.EncodeToString(sum[:]),
		"commit_id": b.head, "last_commit_id": f.lastCommit, "execute_filemode": false,
	})
}

func (s *Server) createCommit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Branch        string `json:"branch"`
		CommitMessage string `json:"commit_message"`
		StartBranch   string `json:"start_branch"`
		Actions       []struct {
			Action       string `json:"action"`
			FilePath     string `json:"file_path"`
			Content      string `json:"content"`
			Encoding     string `json:"encoding"`
			LastCommitID string `json:"last_commit_id"`
		} `json:"actions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON: " + err.Error()})
		return
	}
	if req.Branch == "" || req.CommitMessage == "" || len(req.Actions) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "branch, commit_message, actions are missing"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.branches[req.Branch]
	if b != nil && req.StartBranch != "" && req.StartBranch != req.Branch {
		// app/services/commits/create_service.rb validate_branch_existence!
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A branch called '" + req.Branch + "' already exists. Switch to that branch in order to make changes"})
		return
	}
	if b == nil {
		start := s.branches[req.StartBranch]
		if req.StartBranch == "" || start == nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "You can only create or edit files when you are on a branch"})
			return
		}
		b = &branch{head: start.head, files: map[string]*file{}}
		for k, v := range start.files {
			b.files[k] = &file{content: v.content, lastCommit: v.lastCommit}
		}
	}
	// Validate every action before applying any: commits are atomic.
	contents := make([][]byte, len(req.Actions))
	for i, a := range req.Actions {
		content := []byte(a.Content)
		if a.Encoding == "base64" {
			var err error
			if content, err = base64.StdEncoding.DecodeString(a.Content); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid base64 content"})
				return
			}
		}
		contents[i] = content
		cur := b.files[a.FilePath]
		switch a.Action {
		case "create":
			if cur != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A file with this name already exists"})
				return
			}
		case "update":
			if cur == nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A file with this name doesn't exist"})
				return
			}
			if a.LastCommitID != "" && a.LastCommitID != cur.lastCommit {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "You are attempting to update a file that has changed since you started editing it."})
				return
			}
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "actions[" + strconv.Itoa(i) + "][action] does not have a valid value"})
			return
		}
	}
	var all []byte
	var actions []string
	for i, a := range req.Actions {
		all = append(all, contents[i]...)
		actions = append(actions, a.Action+" "+a.FilePath)
	}
	id := s.commitID(req.Branch, req.CommitMessage, all)
	for i, a := range req.Actions {
		b.files[a.FilePath] = &file{content: contents[i], lastCommit: id}
	}
	b.head = id
	s.branches[req.Branch] = b
	s.commits = append(s.commits, Commit{ID: id, Branch: req.Branch, Message: req.CommitMessage, Actions: actions})
	title, _, _ := strings.Cut(req.CommitMessage, "\n")
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": id, "short_id": id[:8], "title": title, "message": req.CommitMessage,
		"author_name": "Administrator", "author_email": "admin@example.com",
		"created_at": epoch.Format(time.RFC3339Nano), "parent_ids": []string{},
		"web_url": fmt.Sprintf("%s/-/commit/%s", s.webBase(), id),
	})
}

func (s *Server) createBranch(w http.ResponseWriter, r *http.Request) {
	// The client sends branch and ref in the query string.
	q := r.URL.Query()
	name, ref := q.Get("branch"), q.Get("ref")
	if name == "" || ref == "" {
		var body struct{ Branch, Ref string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		name, ref = body.Branch, body.Ref
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.branches[name] != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Branch already exists"})
		return
	}
	from := s.branches[ref]
	if from == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid reference name: " + ref})
		return
	}
	b := &branch{head: from.head, files: map[string]*file{}}
	for k, v := range from.files {
		b.files[k] = &file{content: v.content, lastCommit: v.lastCommit}
	}
	s.branches[name] = b
	writeJSON(w, http.StatusCreated, map[string]any{"name": name, "merged": false, "protected": false, "default": false,
		"commit": map[string]any{"id": b.head}, "web_url": s.webBase() + "/-/tree/" + name})
}

func (s *Server) mrJSON(m *MergeRequest) map[string]any {
	return map[string]any{
		"id": 5000 + m.IID, "iid": m.IID, "project_id": s.ProjectID, "title": m.Title, "description": m.Description,
		"state": m.State, "source_branch": m.SourceBranch, "target_branch": m.TargetBranch,
		"created_at": epoch.Format(time.RFC3339Nano), "updated_at": epoch.Format(time.RFC3339Nano),
		"web_url": fmt.Sprintf("%s/-/merge_requests/%d", s.webBase(), m.IID),
	}
}

func (s *Server) listMRs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	items := []any{}
	for i := len(s.mrs) - 1; i >= 0; i-- { // newest first, like GitLab
		m := s.mrs[i]
		if st := q.Get("state"); st != "" && st != "all" && m.State != st {
			continue
		}
		if sb := q.Get("source_branch"); sb != "" && m.SourceBranch != sb {
			continue
		}
		items = append(items, s.mrJSON(m))
	}
	s.writePage(w, r, len(items), func(i int) any { return items[i] })
}

func (s *Server) createMR(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Title        string `json:"title"`
		Description  string `json:"description"`
		SourceBranch string `json:"source_branch"`
		TargetBranch string `json:"target_branch"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Title == "" || req.SourceBranch == "" || req.TargetBranch == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "title, source_branch, target_branch are missing"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.branches[req.SourceBranch] == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": []string{"Source branch \"" + req.SourceBranch + "\" does not exist"}})
		return
	}
	for _, m := range s.mrs {
		if m.State == "opened" && m.SourceBranch == req.SourceBranch && m.TargetBranch == req.TargetBranch {
			writeJSON(w, http.StatusConflict, map[string]any{"message": []string{"Another open merge request already exists for this source branch: !" + strconv.FormatInt(m.IID, 10)}})
			return
		}
	}
	m := &MergeRequest{IID: int64(len(s.mrs) + 1), Title: req.Title, Description: req.Description,
		State: "opened", SourceBranch: req.SourceBranch, TargetBranch: req.TargetBranch}
	s.mrs = append(s.mrs, m)
	writeJSON(w, http.StatusCreated, s.mrJSON(m))
}

func (s *Server) mr(iid string) *MergeRequest {
	n, err := strconv.ParseInt(iid, 10, 64)
	if err != nil {
		return nil
	}
	for _, m := range s.mrs {
		if m.IID == n {
			return m
		}
	}
	return nil
}

func noteJSON(iid int64, n *Note) map[string]any {
	author := n.Author
	if author == "" {
		author = "root"
	}
	return map[string]any{
		"id": n.ID, "type": nil, "body": n.Body, "attachment": nil,
		"author":     map[string]any{"id": 1, "username": author, "name": author, "state": "active"},
		"created_at": epoch.Add(time.Duration(n.ID) * time.Second).Format(time.RFC3339Nano),
		"updated_at": epoch.Add(time.Duration(n.ID) * time.Second).Format(time.RFC3339Nano),
		"system":     n.System, "noteable_id": 5000 + iid, "noteable_type": "MergeRequest", "noteable_iid": iid,
		"resolvable": false, "confidential": false, "internal": false,
	}
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, iid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mr(iid)
	if m == nil {
		notFound(w, "404 Not found")
		return
	}
	notes := slices.Clone(s.notes[m.IID])
	if r.URL.Query().Get("sort") != "asc" { // GitLab's default: newest first
		slices.Reverse(notes)
	}
	s.writePage(w, r, len(notes), func(i int) any { return noteJSON(m.IID, notes[i]) })
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request, iid string) {
	var req struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Body == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is missing"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mr(iid)
	if m == nil {
		notFound(w, "404 Not found")
		return
	}
	s.nextNote++
	n := &Note{ID: s.nextNote, Body: req.Body, Author: "project_1_bot"}
	s.notes[m.IID] = append(s.notes[m.IID], n)
	writeJSON(w, http.StatusCreated, noteJSON(m.IID, n))
}

func (s *Server) updateNote(w http.ResponseWriter, r *http.Request, iid, noteID string) {
	var req struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Body == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is missing"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mr(iid)
	if m == nil {
		notFound(w, "404 Not found")
		return
	}
	for _, n := range s.notes[m.IID] {
		if strconv.FormatInt(n.ID, 10) == noteID {
			n.Body = req.Body
			writeJSON(w, http.StatusOK, noteJSON(m.IID, n))
			return
		}
	}
	notFound(w, "404 Not found")
}

func notFound(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Flush passes a flush on, for answers cut mid-body.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
