// Command supportmatrix runs an official support program for Kubernetes
// versions and distributions through GitLab CI. See `supportmatrix --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cli"
)

func main() {
	os.Exit(run())
}

// run is main without the exit: SIGINT and SIGTERM cancel the command's
// context, which stops gitlab-ci-local's process group and leaves every
// file as it was; a second signal kills the process as usual.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal gets the default action
	}()
	return cli.Run(ctx, os.Args, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()})
}
