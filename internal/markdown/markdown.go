// Package markdown is the one escaper of every Markdown output of
// supportmatrix (SUPPORT.md, PROGRAM.md, the merge-request note, plan
// --format markdown). Matrix values, results and job URLs come from files a
// merge request can change and from a GitLab server; written verbatim they
// could add raw HTML (`<img src=x onerror=...>`), break a table (`|`, a
// newline), or inject a link or a tracking image (`) ![pixel](https://...)`).
// Text keeps a value one line of plain text, Code one inline code span,
// and Link makes a link only from an absolute http(s) URL that parses.
package markdown

import (
	"net/url"
	"strings"
)

// textEscaper neutralises what makes inline Markdown more than text:
// HTML (< and > as entities, so no tag or autolink can open), and the
// punctuation of emphasis, code, links, images and tables (backslash
// escapes, which CommonMark and GitLab render as the character itself).
var textEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`|`, `\|`, `~`, `\~`, `<`, `&lt;`, `>`, `&gt;`,
)

// Text returns s as one line of plain Markdown text, safe in a paragraph,
// a list item, a heading or a table cell: runs of white space (newlines
// included) become one space and Markdown and HTML syntax is escaped.
func Text(s string) string {
	return textEscaper.Replace(OneLine(s))
}

// OneLine collapses every run of white space, newlines included, into one
// space and trims the ends.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Code returns s as an inline code span on one line, or as Text when s
// holds what a code span cannot (a backtick, or a | that would end a
// table cell).
func Code(s string) string {
	s = OneLine(s)
	if s == "" || strings.ContainsAny(s, "`|") {
		return Text(s)
	}
	return "`" + s + "`"
}

// destinationEscaper percent-encodes what would end or break a link
// destination, or a table cell around it.
var destinationEscaper = strings.NewReplacer(
	"(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "|", "%7C", "`", "%60",
	" ", "%20", `"`, "%22", `\`, "%5C", "[", "%5B", "]", "%5D", "'", "%27",
)

// URL returns raw as a link destination when it is an absolute http or
// https URL with a host that parses, and false otherwise (javascript:,
// data:, relative paths, anything with control characters).
func URL(raw string) (string, bool) {
	if raw == "" || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return destinationEscaper.Replace(u.String()), true
}

// Link returns [Text(text)](url) when url is a valid http(s) URL, and
// Text(text) alone otherwise: a link is never made from anything else.
func Link(text, rawURL string) string {
	return LinkMarkdown(Text(text), rawURL)
}

// LinkMarkdown is Link for a label that is Markdown already (escaped text,
// an emoji and a word); the label must not come from outside unescaped.
func LinkMarkdown(label, rawURL string) string {
	dest, ok := URL(rawURL)
	if !ok {
		return label
	}
	return "[" + label + "](" + dest + ")"
}

// Anchor returns a link to a heading anchor of the same document; the
// anchor is made of the heading by the caller, label is escaped.
func Anchor(text, anchor string) string {
	return "[" + Text(text) + "](#" + destinationEscaper.Replace(anchor) + ")"
}

// RelLink links label to a path relative to the document (a docs page in
// the repository); the path is percent-encoded where it would end the
// destination, so a matrix value cannot add a link or an image.
func RelLink(label, relPath string) string {
	if relPath == "" {
		return label
	}
	return "[" + label + "](" + destinationEscaper.Replace(relPath) + ")"
}

// Mentions lists GitLab mentions (@alice, @platform/k8s) as text, comma
// separated. Escaping keeps each a mention: GitLab finds references in
// the rendered text, where `\_` is back to `_`.
func Mentions(mentions []string) string {
	parts := make([]string, len(mentions))
	for i, m := range mentions {
		parts[i] = Text(m)
	}
	return strings.Join(parts, ", ")
}
