package cli

import (
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/environ"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

// Env is everything a run of the command line takes from its process:
// streams, environment variables, the working directory and the clients'
// settings. main passes the real ones; tests pass their own, so that they
// can run in parallel.
type Env struct {
	Stdout, Stderr io.Writer
	// Environ is the whole environment (KEY=value): the flags' variables
	// and tokens are read from it, and `run --local` looks for
	// gitlab-ci-local in it ($SUPPORTMATRIX_GITLAB_CI_LOCAL, PATH, the
	// user cache directory) and runs it there with git, rsync and its jobs
	// (program.LocalOptions.Env). Nil is an empty environment; main passes
	// the process's.
	Environ []string
	// Dir is the working directory the matrix is looked for from; "" is
	// the process's.
	Dir string
	// GitLab adjusts every GitLab client's configuration before use (tests:
	// retry without waiting); nil leaves it as the flags made it.
	GitLab func(*gitlab.Config)
	// Now reads the clock; nil is time.Now. Commands read it once, where
	// their help says so.
	Now func() time.Time
}

// getenv looks up name in e's environment, "" when unset
// (environ.Get: the last entry of a name wins, as for what it starts).
func (e Env) getenv(name string) string {
	return environ.Get(e.Environ, name)
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// envKey is where the App keeps the Env, for actions to read (envOf).
const envKey = "supportmatrix.env"

// envOf returns the Env of the run the command belongs to.
func envOf(c *cli.Context) Env {
	e, _ := c.App.Metadata[envKey].(Env)
	return e
}

// bindEnv makes each command read its flags' environment variables from
// the Env instead of the process: urfave/cli reads EnvVars with
// os.LookupEnv, so they are taken off the flags (and shown in the usage
// text as urfave/cli would), and set from env in the command's Before
// when the command line did not give the flag. An empty variable is unset.
//
// Each flag's names are read once, here: urfave/cli trims every name with
// a regular expression on each Names call, and its IsSet calls Names on
// every flag of the command for a flag the command line did not give.
func bindEnv(cmd *cli.Command) {
	type bound struct {
		name string   // the flag's first name
		vars []string // its environment variables, in order
	}
	var flags []bound
	primary := map[string]string{} // every name and alias -> the first name
	for _, f := range cmd.Flags {
		names := f.Names()
		for _, n := range names {
			primary[n] = names[0]
		}
		if vars := takeEnvVars(f); len(vars) > 0 {
			flags = append(flags, bound{names[0], vars})
		}
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		cmdline := map[string]bool{} // by first name: the flags the command line set
		for _, n := range c.LocalFlagNames() {
			cmdline[primary[n]] = true
		}
		c.App.Metadata[cmdlineKey] = cmdline
		given := maps.Clone(cmdline) // and those the environment set
		env := envOf(c)
		for _, f := range flags {
			if given[f.name] {
				continue
			}
			for _, v := range f.vars {
				val := env.getenv(v)
				if val == "" {
					continue
				}
				if err := c.Set(f.name, val); err != nil {
					return Usage(fmt.Errorf("$%s=%q for --%s: %w", v, val, f.name, err))
				}
				given[f.name] = true
				break
			}
		}
		if err := locateRepository(c, cmd, given); err != nil {
			return err
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}

// cmdlineKey is where the App keeps the flags the command line set
// (onCommandLine).
const cmdlineKey = "supportmatrix.cmdline"

// onCommandLine reports whether the command line itself gave the flag
// name (its first name), not the environment nor its default.
func onCommandLine(c *cli.Context, name string) bool {
	m, _ := c.App.Metadata[cmdlineKey].(map[string]bool)
	return m[name]
}

// locateRepository points --matrix and --results, when neither the command
// line nor the environment gave them (given, by first name), at the
// repository root (program.AtRoot). collect does without a matrix, and
// says so; a run's render formats read none.
func locateRepository(c *cli.Context, cmd *cli.Command, given map[string]bool) error {
	// Every command with --matrix has a default; c.String is "" without one.
	if c.String("matrix") == "" || given["matrix"] {
		return nil
	}
	var names, paths []string
	for _, name := range []string{"matrix", "results"} {
		if c.String(name) != "" && !given[name] {
			names, paths = append(names, name), append(paths, c.String(name))
		}
	}
	optional := cmd.Name == "collect" || (cmd.Name == "render" && program.RunFormat(c.String("format")))
	paths, err := program.AtRoot(envOf(c).Dir, optional, paths...)
	if err != nil {
		return Invalid(err)
	}
	for i, name := range names {
		// Set only what moved: a set --matrix is a named one, which
		// collect must load.
		if paths[i] == c.String(name) {
			continue
		}
		if err := c.Set(name, paths[i]); err != nil {
			return err
		}
	}
	return nil
}

// takeEnvVars removes a flag's EnvVars and appends them to its usage.
func takeEnvVars(f cli.Flag) []string {
	var vars *[]string
	var usage *string
	switch f := f.(type) {
	case *cli.StringFlag:
		vars, usage = &f.EnvVars, &f.Usage
	case *cli.BoolFlag:
		vars, usage = &f.EnvVars, &f.Usage
	case *cli.IntFlag:
		vars, usage = &f.EnvVars, &f.Usage
	case *cli.Int64Flag:
		vars, usage = &f.EnvVars, &f.Usage
	case *cli.DurationFlag:
		vars, usage = &f.EnvVars, &f.Usage
	default:
		return nil
	}
	names := *vars
	*vars = nil
	if len(names) > 0 {
		*usage += " [$" + strings.Join(names, ", $") + "]"
	}
	return names
}
