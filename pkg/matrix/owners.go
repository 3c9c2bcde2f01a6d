package matrix

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Owner is a GitLab user (@alice) or group (@platform/k8s) answerable for a
// distribution or a feature: alert issues mention them, and the table and
// program document name them.
type Owner struct {
	// Path is the user name or the group's full path, without the @.
	Path string
	Pos  Pos
}

// Mention is the owner as GitLab mentions it: "@alice", "@platform/k8s".
func (o Owner) Mention() string { return "@" + o.Path }

// Mentions returns the owners' mentions in order.
func Mentions(owners []Owner) []string {
	out := make([]string, 0, len(owners))
	for _, o := range owners {
		out = append(out, o.Mention())
	}
	return out
}

// MaxOwnerDepth is the most path segments an owner may have: a group and
// its 20 ancestors (GitLab's subgroup depth limit,
// Gitlab::PathRegex::FULL_NAMESPACE_FORMAT_REGEX in lib/gitlab/path_regex.rb
// and Namespace::NUMBER_OF_ANCESTORS_ALLOWED in app/models/namespace.rb).
const MaxOwnerDepth = 21

// ownerSegment is one segment of a user name or group path as GitLab
// accepts it: Gitlab::PathRegex::NAMESPACE_FORMAT_REGEX_JS
// (lib/gitlab/path_regex.rb): letters, digits, _ . -; not starting with -,
// not ending with . (the Ruby form also refuses the suffixes .git and
// .atom, checked separately since Go's regexp has no lookbehind), at most
// 255 characters (Namespace::URL_MAX_LENGTH).
var ownerSegment = regexp.MustCompile(`^(?:[a-zA-Z0-9_.][a-zA-Z0-9_.-]{0,253}[a-zA-Z0-9_-]|[a-zA-Z0-9_])$`)

// CheckOwner says why s is not a GitLab mention of a user or group, or "".
func CheckOwner(s string) string {
	path, ok := strings.CutPrefix(s, "@")
	if !ok {
		return "must start with @ (a GitLab user, @alice, or group, @platform/k8s)"
	}
	segs := strings.Split(path, "/")
	if len(segs) > MaxOwnerDepth {
		return fmt.Sprintf("has %d path segments; a GitLab group nests at most %d deep", len(segs), MaxOwnerDepth)
	}
	for _, seg := range segs {
		switch {
		case seg == "":
			return "has an empty path segment; write @user or @group/subgroup"
		case !ownerSegment.MatchString(seg):
			return fmt.Sprintf("%q is not a GitLab user or group path: letters, digits, _, . and -, not starting with - nor ending with .", seg)
		case strings.HasSuffix(seg, ".git") || strings.HasSuffix(seg, ".atom"):
			return fmt.Sprintf("%q ends in .git or .atom, which GitLab refuses in a path", seg)
		}
	}
	return ""
}

// owners reads an owners list: one or more unique @user or @group/subgroup
// mentions.
func (d *decoder) owners(n *yaml.Node, path string) []Owner {
	items, ok := d.seq(n, path)
	if r := d.resolve(n); ok && r != nil && !isNull(r) && len(items) == 0 {
		d.errorf(r, path, "required", "list at least one owner, or leave owners out")
		return nil
	}
	var out []Owner
	seen := map[string]Pos{}
	for i, it := range items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		s, ok := d.nonEmpty(it, ip)
		if !ok {
			continue
		}
		pos := d.pos(d.resolve(it))
		if why := CheckOwner(s); why != "" {
			d.errorf(it, ip, "owner", "%q: %s", s, why)
			continue
		}
		key := strings.ToLower(s) // GitLab paths are case-insensitive
		if first, dup := seen[key]; dup {
			d.errorf(it, ip, "owner", "%s is listed twice (first at %d:%d; GitLab paths ignore case)", s, first.Line, first.Column)
			continue
		}
		seen[key] = pos
		out = append(out, Owner{Path: s[1:], Pos: pos})
	}
	return out
}
