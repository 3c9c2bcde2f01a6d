// Package cli is the supportmatrix command line: it copies flags and
// environment variables into options structs and makes one call into pkg/
// per command. It never exits the process; Run returns the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/buildinfo"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

// Exit codes, as SPEC fixes them.
const (
	ExitOK      = 0
	ExitInvalid = 1 // invalid input or a failed check
	ExitUsage   = 2 // wrong usage
	ExitAPI     = 3 // the GitLab API failed after retries
)

// ExitError carries an exit code up to Run. Commands return it (through
// Invalid or Usage) instead of exiting; program.ErrUsage and program.ErrAPI
// get exit 2 and 3.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Invalid marks err as invalid input or a failed check (exit 1).
func Invalid(err error) error { return &ExitError{Code: ExitInvalid, Err: err} }

// Usage marks err as wrong usage (exit 2).
func Usage(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// ErrSilent is an error whose message the command already printed; Run
// reports nothing more, only the exit code.
var ErrSilent = errors.New("")

// Run executes the command line args (args[0] is the program name) in env
// until ctx ends (main cancels it on SIGINT and SIGTERM), and returns the
// exit code.
func Run(ctx context.Context, args []string, env Env) int {
	stderr := env.Stderr
	app := newApp(env)
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	code := ExitInvalid
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case errors.Is(err, program.ErrUsage):
		code = ExitUsage
	case errors.Is(err, program.ErrAPI):
		code = ExitAPI
	default:
		// Errors urfave/cli raises itself (unknown flag, missing required
		// flag, bad flag value) are usage errors.
		if isUsageError(err) {
			code = ExitUsage
		}
	}
	if !errors.Is(err, ErrSilent) && err.Error() != "" {
		fmt.Fprintf(stderr, "supportmatrix: %v\n", err)
	}
	return code
}

func newApp(env Env) *cli.App {
	app := &cli.App{
		Name:        "supportmatrix",
		Usage:       "run an official support program for Kubernetes versions and distributions through GitLab CI",
		Description: helpText("supportmatrix"),
		// --version prints the release, commit and commit date (internal/buildinfo).
		Version:         buildinfo.Get().String(),
		Writer:          env.Stdout,
		ErrWriter:       env.Stderr,
		Metadata:        map[string]any{envKey: env},
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		HideHelp:        true, // helpFlag instead: see there
		// versionFlag instead of urfave/cli's global VersionFlag, for the
		// same race as helpFlag.
		HideVersion: true,
		Flags:       []cli.Flag{helpFlag(), versionFlag()},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(c.App.Writer, "%s version %s\n", c.App.Name, c.App.Version)
				return err
			}
			return cli.ShowAppHelp(c)
		},
		EnableBashCompletion: false,
		Commands:             commands(),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return Usage(err)
		},
	}
	return app
}

// commands lists the commands in the order help shows them, each refusing
// what it does not take and reading its environment from the Env.
func commands() []*cli.Command {
	cmds := definitions()
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return Usage(err) }
		}
		bindEnv(c)
		refuseArgs(c) // after bindEnv, so it runs first: before the matrix is looked for
		c.HideHelp = true
		c.Flags = append(c.Flags, helpFlag())
	}
	return cmds
}

// definitions are the commands as their files declare them (one a file).
func definitions() []*cli.Command {
	return []*cli.Command{validateCommand(), planCommand(), generateCommand(), runCommand(),
		collectCommand(), publishCommand(), versionsCommand(), docsCommand(), renderCommand()}
}

func isUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined", "Required flag", "Required flags", "invalid value", "No help topic", "command not found"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// matrixFlag is the --matrix flag every command that reads the matrix takes.
func matrixFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "matrix",
		Aliases: []string{"m"},
		Usage:   "the matrix `FILE`",
		Value:   program.DefaultMatrix,
		EnvVars: []string{generate.MatrixVariable},
	}
}

// templatesFlag is the --templates flag of commands where templates matter.
func templatesFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "templates",
		Usage:   "a `DIR` of job templates overriding the embedded defaults file by file (features/<name>.yml, clusters/<name>.yml, upgrade.yml)",
		EnvVars: []string{"SUPPORTMATRIX_TEMPLATES"},
	}
}

// helpFlag is a --help flag of one command. urfave/cli appends its global
// HelpFlag to every command and writes to it while parsing, a data race
// between two Runs at once (tests in parallel); a flag of our own per
// command avoids it, and urfave/cli still shows help for any flag named
// "help".
func helpFlag() cli.Flag {
	return &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help", DisableDefaultText: true}
}

// versionFlag is the app's own --version flag: urfave/cli's global
// VersionFlag is written while parsing, a data race between two Runs at once.
func versionFlag() cli.Flag {
	return &cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version, commit and commit date", DisableDefaultText: true}
}

// refuseArgs makes cmd refuse positional arguments, which it would
// otherwise ignore (exit 2): `validate FILE` used to check the default
// matrix and say valid.
func refuseArgs(cmd *cli.Command) {
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if c.NArg() > 0 {
			if slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return f.Names()[0] == "matrix" }) {
				return Usage(fmt.Errorf("%s takes no arguments, got %q; to check another file, use --matrix %s", cmd.Name, c.Args().Slice(), c.Args().First()))
			}
			return Usage(fmt.Errorf("%s takes no arguments, got %q", cmd.Name, c.Args().Slice()))
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}
