package matrix

import (
	"strings"
	"testing"
)

// TestCheckOwner follows GitLab's path rules (lib/gitlab/path_regex.rb
// NAMESPACE_FORMAT_REGEX, app/models/namespace.rb for the depth).
func TestCheckOwner(t *testing.T) {
	deep := "@" + strings.TrimSuffix(strings.Repeat("g/", MaxOwnerDepth), "/")
	for _, tc := range []struct {
		in   string
		want string // a part of the complaint, "" for a valid owner
	}{
		{"@alice", ""},
		{"@a", ""},
		{"@_bot", ""},
		{"@.dotted.name_", ""},
		{"@platform/k8s", ""},
		{"@Group.Name/sub-group/team_1", ""},
		{deep, ""},
		{deep + "/g", "nests at most 21 deep"},
		{"@" + strings.Repeat("a", 255), ""},
		{"@" + strings.Repeat("a", 256), "is not a GitLab user or group path"},
		{"alice", "must start with @"},
		{"@", "empty path segment"},
		{"@group//team", "empty path segment"},
		{"@-alice", "is not a GitLab user or group path"},
		{"@alice.", "is not a GitLab user or group path"},
		{"@alice.git", "ends in .git or .atom"},
		{"@feed.atom", "ends in .git or .atom"},
		{"@al ice", "is not a GitLab user or group path"},
		{"@alice@example.com", "is not a GitLab user or group path"},
		{"@ålice", "is not a GitLab user or group path"},
	} {
		got := CheckOwner(tc.in)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("CheckOwner(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
