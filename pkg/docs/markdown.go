package docs

import (
	"regexp"
	"strings"
)

// Page is what the checker reads from a distribution's Markdown page: its
// headings, its explicit anchors and its list items, each with its line.
// Fenced code blocks, HTML comments, inline code spans and YAML front
// matter are skipped, so an example inside them never counts.
type Page struct {
	Path      string // the page as problems name it (root joined with the matrix's docs path)
	Headings  []Heading
	Anchors   []Anchor
	ListItems []ListItem
}

// Heading is one ATX (`## Title`) or setext (underlined) heading.
type Heading struct {
	Line  int
	Level int    // 1..6
	Text  string // without the markers, the {#id} attribute and inline anchors
	ID    string // the explicit {#id} attribute, or ""
}

// Anchor is one explicit anchor: a heading's {#id} attribute, an HTML
// element's id attribute or an <a name> target.
type Anchor struct {
	Line int
	ID   string
	Kind AnchorKind
	// Heading is the index into Headings of the heading on the next
	// non-blank line after a standalone anchor, or -1.
	Heading int
}

// AnchorKind tells how an anchor is written.
type AnchorKind int

// The anchor kinds. Only a standalone anchor above a heading marks a
// feature section (docs/README.md); the others are recognised so that the
// checker can say what to change.
const (
	// AnchorStandalone is a line holding only `<a id="x"></a>`.
	AnchorStandalone AnchorKind = iota
	// AnchorInline is an HTML id or name attribute inside other text,
	// a heading's included.
	AnchorInline
	// AnchorAttribute is a heading's `{#x}` attribute.
	AnchorAttribute
)

// ListItem is one bullet or numbered list item, its continuation lines
// joined with single spaces.
type ListItem struct {
	Line    int
	Indent  int // columns before the marker: nested items are indented more
	Text    string
	Heading int // index into Headings of the section it sits in, or -1 before the first heading
}

var (
	atxRe      = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)
	closingRe  = regexp.MustCompile(`(?:^|[ \t]+)#+[ \t]*$`)
	attrRe     = regexp.MustCompile(`[ \t]*\{[ \t]*#([A-Za-z0-9][A-Za-z0-9_:.-]*)(?:[ \t][^{}]*)?\}[ \t]*$`)
	setextRe   = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	fenceRe    = regexp.MustCompile("^[ \t]*(`{3,}|~{3,})(.*)$")
	listRe     = regexp.MustCompile(`^([ \t]*)(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+(.*))?$`)
	taskRe     = regexp.MustCompile(`^\[[ xX]\][ \t]+`)
	breakRe    = regexp.MustCompile(`^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	htmlIDRe   = regexp.MustCompile(`(?i)<[a-z][a-z0-9-]*\s[^>]*?\bid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
	htmlNameRe = regexp.MustCompile(`(?i)<a\s[^>]*?\bname\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
	htmlTagRe  = regexp.MustCompile(`<[^>]*>`)
	aloneRe    = regexp.MustCompile(`^[ \t]*<a[ \t]+id[ \t]*=[ \t]*(?:"([^"]*)"|'([^']*)')[ \t]*>[ \t]*</a>[ \t]*$`)
)

// ParsePage scans Markdown text. It is a small line scanner for what the
// documentation convention relies on, not a full CommonMark parser.
func ParsePage(path string, data []byte) *Page {
	p := &Page{Path: path}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(text, "\n")

	var (
		fence     string // the opening fence run while inside a fenced block
		comment   bool   // inside a multi-line HTML comment
		item      = -1   // index of the list item that continuation lines extend
		itemIndet int    // indentation of that item's marker
		paraStart = -1   // index of the first line of the open paragraph
		pending   []int  // standalone anchors waiting for the next non-blank line
		paraAnch  []int  // the anchors pending when the open paragraph started
	)
	start := 0
	if len(lines) > 0 && strings.TrimRight(lines[0], " \t") == "---" {
		for i := 1; i < len(lines); i++ {
			if t := strings.TrimRight(lines[i], " \t"); t == "---" || t == "..." {
				start = i + 1
				break
			}
		}
	}
	for i := start; i < len(lines); i++ {
		raw := lines[i]
		lineNo := i + 1
		if fence != "" {
			if m := fenceRe.FindStringSubmatch(raw); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(m[2]) == "" {
				fence = ""
			}
			continue
		}
		line, stillComment := stripComments(raw, comment)
		comment = stillComment
		if m := fenceRe.FindStringSubmatch(line); m != nil && !(m[1][0] == '`' && strings.Contains(m[2], "`")) {
			fence = m[1]
			item, paraStart = -1, -1
			continue
		}
		if strings.TrimSpace(line) == "" && strings.TrimSpace(raw) != "" {
			continue // only a comment: invisible, it separates nothing
		}
		if strings.TrimSpace(line) == "" {
			// A blank line ends the paragraph and the list item's text: what
			// follows, even indented under the item, is an explanation of it.
			item, paraStart = -1, -1
			continue
		}
		if m := atxRe.FindStringSubmatch(line); m != nil {
			p.addHeading(lineNo, len(m[1]), m[2])
			for _, a := range pending {
				p.Anchors[a].Heading = len(p.Headings) - 1
			}
			pending, item, paraStart = nil, -1, -1
			continue
		}
		if m := aloneRe.FindStringSubmatch(stripCodeSpans(line)); m != nil {
			p.Anchors = append(p.Anchors, Anchor{Line: lineNo, ID: m[1] + m[2], Kind: AnchorStandalone, Heading: -1})
			pending = append(pending, len(p.Anchors)-1)
			item, paraStart = -1, -1
			continue
		}
		if m := setextRe.FindStringSubmatch(line); m != nil && paraStart >= 0 {
			level := 1
			if m[1][0] == '-' {
				level = 2
			}
			// The paragraph's lines were scanned as text first; addHeading
			// records their anchors again and drops the duplicates.
			p.addHeading(paraStart+1, level, strings.Join(lines[paraStart:i], " "))
			// Its text line was the line after the anchors: they mark it.
			for _, a := range paraAnch {
				p.Anchors[a].Heading = len(p.Headings) - 1
			}
			pending, paraAnch, item, paraStart = nil, nil, -1, -1
			continue
		}
		before := pending
		pending = nil
		if breakRe.MatchString(line) {
			item, paraStart = -1, -1
			continue
		}
		if m := listRe.FindStringSubmatch(line); m != nil {
			p.addAnchors(lineNo, line)
			t := strings.TrimSpace(taskRe.ReplaceAllString(strings.TrimSpace(m[2]), ""))
			p.ListItems = append(p.ListItems, ListItem{Line: lineNo, Indent: indent(m[1]), Text: t, Heading: len(p.Headings) - 1})
			item, itemIndet = len(p.ListItems)-1, indent(m[1])
			paraStart = -1
			continue
		}
		p.addAnchors(lineNo, line)
		if item >= 0 && indent(line) > itemIndet {
			it := &p.ListItems[item]
			it.Text = strings.TrimSpace(it.Text + " " + strings.TrimSpace(line))
			continue
		}
		item = -1
		if paraStart < 0 {
			paraStart, paraAnch = i, before
		}
	}
	return p
}

// addHeading records a heading and the anchors it carries.
func (p *Page) addHeading(line, level int, text string) {
	text, _ = stripComments(text, false)
	text = closingRe.ReplaceAllString(strings.TrimSpace(text), "")
	h := Heading{Line: line, Level: level}
	if m := attrRe.FindStringSubmatchIndex(text); m != nil {
		h.ID = text[m[2]:m[3]]
		text = text[:m[0]]
		p.Anchors = append(p.Anchors, Anchor{Line: line, ID: h.ID, Kind: AnchorAttribute, Heading: len(p.Headings)})
	}
	p.addAnchors(line, text)
	h.Text = strings.TrimSpace(strings.Join(strings.Fields(htmlTagRe.ReplaceAllString(text, "")), " "))
	p.Headings = append(p.Headings, h)
	// A setext heading's text line was first scanned as a paragraph line;
	// drop the duplicate anchors that scan recorded.
	p.Anchors = dedupeAnchors(p.Anchors)
}

// addAnchors records the HTML id and name anchors of a line, outside
// inline code spans.
func (p *Page) addAnchors(line int, text string) {
	text = stripCodeSpans(text)
	for _, re := range []*regexp.Regexp{htmlIDRe, htmlNameRe} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			id := m[1] + m[2] + m[3]
			if id != "" {
				p.Anchors = append(p.Anchors, Anchor{Line: line, ID: id, Kind: AnchorInline, Heading: -1})
			}
		}
	}
}

func dedupeAnchors(as []Anchor) []Anchor {
	out := as[:0]
	seen := make(map[Anchor]bool, len(as))
	for _, a := range as {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// stripComments removes HTML comments from a line. inComment says the line
// starts inside a comment; the result says whether it ends inside one.
func stripComments(line string, inComment bool) (string, bool) {
	var b strings.Builder
	for line != "" {
		if inComment {
			end := strings.Index(line, "-->")
			if end < 0 {
				return b.String(), true
			}
			line = line[end+3:]
			inComment = false
			continue
		}
		start := strings.Index(line, "<!--")
		if start < 0 {
			b.WriteString(line)
			break
		}
		b.WriteString(line[:start])
		line = line[start+4:]
		inComment = true
	}
	return b.String(), inComment
}

// stripCodeSpans removes inline code spans (`...`, “...“) from a line.
func stripCodeSpans(s string) string {
	if !strings.Contains(s, "`") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		run := s[i : i+n]
		end := -1
		for j := i + n; j < len(s); {
			k := strings.Index(s[j:], run)
			if k < 0 {
				break
			}
			k += j
			if (k+n >= len(s) || s[k+n] != '`') && s[k-1] != '`' {
				end = k
				break
			}
			j = k + n
			for j < len(s) && s[j] == '`' {
				j++
			}
		}
		if end < 0 {
			b.WriteString(run)
			i += n
			continue
		}
		i = end + n
	}
	return b.String()
}

func indent(s string) int {
	n := 0
	for _, r := range s {
		switch r {
		case ' ':
			n++
		case '\t':
			n += 4 - n%4
		default:
			return n
		}
	}
	return n
}

// Anchor returns the first anchor with the id, preferring a standalone
// anchor above a heading, or nil.
func (p *Page) Anchor(id string) *Anchor {
	var first *Anchor
	for i := range p.Anchors {
		a := &p.Anchors[i]
		if a.ID != id {
			continue
		}
		if a.Kind == AnchorStandalone && a.Heading >= 0 {
			return a
		}
		if first == nil {
			first = a
		}
	}
	return first
}
