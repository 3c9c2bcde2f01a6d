// Command supportmatrix runs an official support program for Kubernetes
// versions and distributions through GitLab CI. See `supportmatrix --help`.
package main

import (
	"os"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cli"
)

func main() {
	os.Exit(cli.Run(os.Args, os.Stdout, os.Stderr))
}
