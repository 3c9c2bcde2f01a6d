package collect

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
)

// junitNode is any element of a JUnit file: <testsuites>, <testsuite> or
// <testcase>, nested as deep as a tool likes (PHPUnit nests suites).
type junitNode struct {
	XMLName   xml.Name
	Name      string      `xml:"name,attr"`
	Classname string      `xml:"classname,attr"`
	Time      float64     `xml:"time,attr"`
	Failure   *junitText  `xml:"failure"`
	Error     *junitText  `xml:"error"`
	Skipped   *junitText  `xml:"skipped"`
	SystemOut string      `xml:"system-out"`
	Children  []junitNode `xml:",any"`
}

type junitText struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// ParseJUnit reads the test cases of a JUnit XML report, in file order.
// name is used in errors. The status and output follow GitLab's reading:
// failure → failed, error → error, skipped → skipped, else success; the
// output keeps system-out for every case (GitLab drops it on success).
func ParseJUnit(name string, data []byte) ([]ci.TestCase, error) {
	var root junitNode
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("junit %s: %w", name, err)
	}
	switch root.XMLName.Local {
	case "testsuites", "testsuite", "testcase":
	default:
		return nil, fmt.Errorf("junit %s: root element <%s>, want <testsuites> or <testsuite>", name, root.XMLName.Local)
	}
	var out []ci.TestCase
	var walk func(n *junitNode)
	walk = func(n *junitNode) {
		if n.XMLName.Local == "testcase" {
			tc := ci.TestCase{Name: n.Name, Classname: n.Classname, ExecutionTime: n.Time, Status: ci.TestSuccess}
			var msg *junitText
			switch {
			case n.Failure != nil:
				tc.Status, msg = ci.TestFailed, n.Failure
			case n.Error != nil:
				tc.Status, msg = ci.TestError, n.Error
			case n.Skipped != nil:
				tc.Status, msg = ci.TestSkipped, n.Skipped
			}
			var parts []string
			if msg != nil {
				for _, s := range []string{msg.Message, msg.Text} {
					if s = strings.TrimSpace(s); s != "" {
						parts = append(parts, s)
					}
				}
			}
			if s := strings.TrimSpace(n.SystemOut); s != "" {
				parts = append(parts, s)
			}
			tc.SystemOutput = strings.Join(parts, "\n")
			out = append(out, tc)
			return
		}
		for i := range n.Children {
			walk(&n.Children[i])
		}
	}
	walk(&root)
	return out, nil
}

// readJUnitFiles parses every file and concatenates their cases.
func readJUnitFiles(files []string) ([]ci.TestCase, error) {
	var out []ci.TestCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read junit: %w", err)
		}
		cases, err := ParseJUnit(f, data)
		if err != nil {
			return nil, err
		}
		out = append(out, cases...)
	}
	return out, nil
}
