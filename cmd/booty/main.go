// Command booty turns Sentry issue alerts into GitHub issues for a builder
// agent. See the README for how to run it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is stamped at build time: -ldflags "-X main.version=$SHA".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// commandFunc runs one command with the arguments after its name and returns
// the exit code: 0 success, 1 failure, 2 bad usage.
type commandFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int

// command is one row of booty's command table.
type command struct {
	name     string
	synopsis string // arguments, as shown in booty's usage
	summary  string
	run      commandFunc
}

// commands is every command, in the order the usage lists them. A new
// command is one row here and one function in its own file.
func commands() []command {
	return []command{
		{"serve", "", "run the webhook server and the GitHub worker", serve},
		{"check-config", "[--github]", "report every configuration error and exit", checkConfig},
		{"routes", "test --fixture FILE [--routes FILE]", "show which route a Sentry payload takes, and why", routesCommand},
		{"send-test-alert", "--url URL [--fixture FILE] [--new]", "sign and post an event alert to a booty server", sendTestAlert},
		{"health", "[--url URL] [--deep]", "ask a running booty's /health; exit 0 when it is ok", health},
		{"problems", "list [FLAGS] | show KEY|OWNER/REPO#N", "list problems, or show one with its issue and timeline", problems},
		{"deliveries", "[--since 1h] [--json]", "list the recorded deliveries: the audit trail", deliveriesCommand},
		{"runs", "show ID [--json]", "show a builder or verifier run with its log", runsCommand},
		{"parked", "list | retry ID|--all | drop ID", "list, run again or drop parked GitHub writes", parked},
		{"recover", "", "rebuild the problem → issue map from GitHub", recoverCommand},
		{"migrate", "[--status]", "apply the store's schema migrations, or show what is pending", migrate},
		{"migrate-store", "--from URL --to URL", "copy a store into an empty one, such as SQLite into PostgreSQL", migrateStore},
		{"version", "", "print the version", versionCmd},
	}
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: booty COMMAND [FLAGS]\n\nCommands:\n")
	for _, c := range commands() {
		line := c.name
		if c.synopsis != "" {
			line += " " + c.synopsis
		}
		if len(line) > 24 {
			fmt.Fprintf(&b, "  %s\n  %-24s %s\n", line, "", c.summary)
		} else {
			fmt.Fprintf(&b, "  %-24s %s\n", line, c.summary)
		}
	}
	b.WriteString("\nRun booty COMMAND --help for a command's flags. Configuration is read from the\nenvironment; see the README.\n")
	return b.String()
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	case "-version", "--version":
		return versionCmd(ctx, args[1:], getenv, stdout, stderr)
	case "spool": // parked's old name, kept for scripts
		return parked(ctx, args[1:], getenv, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "booty: unknown command %q\n\n%s", args[0], usage())
	return 2
}

// newFlags returns the flag set of command name. synopsis and about are the
// usage shown by --help and after a usage error, above the flags.
func newFlags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: booty %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(about))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args for a command that takes no positional arguments.
// When done is true the command must return code at once: --help printed
// the usage on stdout (0), or the arguments were wrong and the error and the
// usage went to stderr (2).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	if err := parseOnly(fs, args, stdout, stderr); err != nil {
		return exitCode(err), true
	}
	if fs.NArg() > 0 {
		return usageError(fs, stderr, fmt.Errorf("unexpected argument %q", fs.Arg(0))), true
	}
	return 0, false
}

// parseOnly parses args with fs and reports a wrong flag or a request for
// help the way parseFlags does, leaving the positional arguments to the
// command.
func parseOnly(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	// The flag package prints errors and the usage itself, to one writer;
	// booty wants the usage on stdout for --help and both on stderr for a
	// mistake, so it prints them itself.
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return flag.ErrHelp
	default:
		usageError(fs, stderr, err)
		return err
	}
}

// usageError prints err and the usage of fs on stderr and returns 2.
func usageError(fs *flag.FlagSet, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "booty %s: %v\n\n", fs.Name(), err)
	fs.SetOutput(stderr)
	fs.Usage()
	return 2
}

// exitCode is the exit code for an error parseOnly returned.
func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// versionCmd prints the build version.
func versionCmd(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", "Prints the version booty was built as: the release tag or commit stamped with\n-ldflags \"-X main.version=…\", else the VCS revision Go recorded, else \"dev\".")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	fmt.Fprintln(stdout, buildVersion())
	return 0
}

// buildVersion is the stamped version, else the VCS revision Go recorded,
// else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "dev"
}
