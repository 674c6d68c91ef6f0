package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"booty/internal/config"
)

const healthAbout = `Asks a running booty's /health and prints the answer. Exits 0 when it answers 200,
1 otherwise. Without --url it asks BOOTY_LISTEN on the loopback address, which is
what a container's health check needs (distroless images have no curl).`

// health asks a running booty whether it is healthy.
func health(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("health", "[--url URL] [--deep] [--timeout D]", healthAbout)
	target := fs.String("url", "", "health URL (default: http://BOOTY_LISTEN/health, on loopback)")
	deep := fs.Bool("deep", false, "also check GitHub access (/health?deep=1)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	u := *target
	if u == "" {
		addr, err := config.Listen(getenv)
		if err != nil {
			printConfigErrors(stderr, err)
			return 1
		}
		u = "http://" + loopback(addr) + "/health"
	}
	if *deep {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "deep=1"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintf(stderr, "booty health: %v\n", err)
		return 2
	}
	req.Header.Set("User-Agent", "booty-health/"+buildVersion())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "booty health: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "%s\n%s\n", resp.Status, strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

// loopback turns a listen address into one to connect to: an unspecified
// host (0.0.0.0, ::, empty) becomes the loopback address of its family.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
