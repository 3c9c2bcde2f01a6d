// Package largeexample grows the large example (examples/large/matrix.yaml:
// 40 distributions, 6,660 cells) for the benchmarks and tests at scale: 49
// distributions make 8,040 cells, the size issue 14's targets are set at.
// pkg/generate's TestLargeExampleGrows tests it.
package largeexample

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// File is the large example's path relative to the repository root.
const File = "examples/large/matrix.yaml"

// Grow returns the matrix file data with dists distributions: the file's
// own, then copies of them in order, each copy's id suffixed "-cN" (N from
// 2). Rules that name a distribution keep to the original. With the file's
// own count it returns data as it is.
func Grow(data []byte, dists int) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("large example: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("large example: not a mapping")
	}
	var list *yaml.Node
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value == "distributions" {
			list = top[i+1]
		}
	}
	if list == nil || len(list.Content) == 0 {
		return nil, fmt.Errorf("large example: no distributions")
	}
	orig := list.Content
	n := len(orig) / 2
	if dists == n {
		return data, nil
	}
	list.Content = nil
	for i := range dists {
		id := *orig[2*(i%n)]
		if c := i/n + 1; c > 1 {
			id.Value = fmt.Sprintf("%s-c%d", id.Value, c)
		}
		list.Content = append(list.Content, &id, orig[2*(i%n)+1])
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("large example: %w", err)
	}
	return out, nil
}
