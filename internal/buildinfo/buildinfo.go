// Package buildinfo says which supportmatrix this is: its version, the commit
// it was built from and when that commit was made, for `supportmatrix
// --version` and bug reports.
//
// Release builds set the three values at link time, GoReleaser
// (.goreleaser.yaml) and `make build` alike:
//
//	go build -ldflags "-X gitlab.com/supportmatrix/supportmatrix/internal/buildinfo.version=v1.2.3 \
//	  -X gitlab.com/supportmatrix/supportmatrix/internal/buildinfo.commit=<sha> \
//	  -X gitlab.com/supportmatrix/supportmatrix/internal/buildinfo.date=<RFC 3339>"
//
// A binary built without them (`go install …@v1.2.3`, `go build`) falls back
// to what the Go toolchain recorded in it: the module version and, when the
// build had VCS stamping on, the revision and its time.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Set with -ldflags -X by release builds; empty otherwise.
var version, commit, date string

// Package is the import path that -ldflags -X names to set the values.
const Package = "gitlab.com/supportmatrix/supportmatrix/internal/buildinfo"

// Info is what a binary knows of its own build.
type Info struct {
	// Version is the release (v1.2.3, 1.2.3-SNAPSHOT-abc1234) or "devel".
	Version string
	// Commit is the full revision, "unknown" when nothing recorded it; a
	// "-dirty" suffix says the work tree had changes.
	Commit string
	// Date is the commit's time (RFC 3339), "unknown" when not recorded.
	Date string
}

// Get returns the build's Info: the link-time values where set, then the Go
// toolchain's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, bi)
}

// resolve fills each value from the link-time one, then from bi (which may be
// nil), then with a placeholder.
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, Date: date}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		var rev, at string
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if info.Commit == "" && rev != "" {
			info.Commit = rev
			if modified {
				info.Commit += "-dirty"
			}
		}
		if info.Date == "" {
			info.Date = at
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// String is the one line `supportmatrix --version` prints after the name:
// "v1.2.3 (commit 0123abc…, 2026-11-30T09:00:00Z)".
func (i Info) String() string {
	var b strings.Builder
	b.WriteString(i.Version)
	b.WriteString(" (commit ")
	b.WriteString(i.Commit)
	b.WriteString(", ")
	b.WriteString(i.Date)
	b.WriteString(")")
	return b.String()
}
