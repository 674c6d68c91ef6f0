// Command booty turns Sentry issue alerts into GitHub issues for a builder
// agent. See the README for how to run it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
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

const usage = `usage: booty COMMAND

Commands:
  serve                    run the webhook server and the GitHub worker
  check-config             report every configuration problem and exit
  version                  print the version
  parked list              list parked GitHub writes
  parked retry ID|--all    run parked writes again
  parked drop ID           delete a parked write for good
  recover                  rebuild the problem → issue map from GitHub
  send-test-alert --url URL [--fixture FILE] [--new]
                           sign and post an event alert to a booty server

Configuration is read from the environment; see the README.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stderr)
	case "check-config":
		return checkConfig(getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, buildVersion())
		return 0
	case "parked", "spool": // spool: the old name, kept for scripts
		return parked(ctx, args[1:], getenv, stdout, stderr)
	case "recover":
		return recoverCommand(ctx, args[1:], getenv, stdout, stderr)
	case "send-test-alert":
		return sendTestAlert(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "booty: unknown command %q\n\n%s", args[0], usage)
	return 2
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
