// Command fakeserver is a server for proctest's own tests: it serves
// /health, a booty_jobs gauge that drains one job per scrape, and an
// endpoint that allocates memory, and it exits the ways a test needs.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

func main() {
	if code, err := strconv.Atoi(os.Getenv("FAKE_EXIT")); err == nil {
		fmt.Fprintln(os.Stderr, "fakeserver: exiting as asked")
		os.Exit(code)
	}
	jobs, _ := strconv.Atoi(os.Getenv("FAKE_JOBS"))
	var (
		mu   sync.Mutex
		held [][]byte
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if jobs < 0 {
			fmt.Fprintln(w, "# TYPE go_goroutines gauge\ngo_goroutines 3")
			return
		}
		fmt.Fprintf(w, "# TYPE booty_jobs gauge\nbooty_jobs{state=\"available\"} %d\nbooty_jobs{state=\"completed\"} 7\n", jobs)
		if jobs > 0 {
			jobs--
		}
	})
	mux.HandleFunc("POST /alloc", func(w http.ResponseWriter, r *http.Request) {
		mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
		b := make([]byte, mb<<20)
		for i := range b {
			b[i] = byte(i)
		}
		mu.Lock()
		held = append(held, b)
		mu.Unlock()
		fmt.Fprintln(w, "held", mb)
	})
	if os.Getenv("FAKE_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		go func() { <-ch; os.Exit(0) }()
	}
	srv := &http.Server{Addr: os.Getenv("FAKE_LISTEN"), Handler: mux}
	fmt.Fprintln(os.Stderr, "fakeserver: listening")
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
