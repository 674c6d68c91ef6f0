//go:build unix

package intake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"booty/internal/alert"
	fixtureload "booty/internal/fixture"
	"booty/internal/intake"
	"booty/internal/redact"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// BenchmarkReceive is the intake path of the throughput benchmark: one
// problem delivered over and over (the real fixture, compacted as Sentry
// sends it), from many senders at once, through the real redactor onto a
// real store, group commit included; the redactor remembers clean
// strings, as serve's does. Set BOOTY_TEST_POSTGRES_URL for the
// PostgreSQL run.
func BenchmarkReceive(b *testing.B) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, fixtureload.Sentry(b, vueFixture)); err != nil {
		b.Fatal(err)
	}
	body := compact.Bytes()
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			st, err := store.Open(b.Context(), backend.URL(b))
			if err != nil {
				b.Fatalf("Open: %v", err)
			}
			b.Cleanup(func() { st.Close() })
			log := slog.New(slog.DiscardHandler)
			jobs, err := worker.NewClient(st, nil, log, 1)
			if err != nil {
				b.Fatalf("NewClient: %v", err)
			}
			in := intake.New(alert.NewPipeline(alert.SeverityError, time.Hour), st, worker.Enqueuer(jobs),
				redact.NewMemo(redact.Field, 4<<20).String, log, time.Now)
			var n atomic.Int64
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			// Sixteen senders a core, as bootybench's -c 16 and more.
			b.SetParallelism(8)
			b.ResetTimer()
			cpu0 := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("%032x", n.Add(1))
					if _, err := in.Receive(b.Context(), "event_alert", id, body); err != nil {
						b.Errorf("Receive: %v", err)
						return
					}
				}
			})
			// The process's CPU, not the wall clock: booty is CPU-bound
			// under load, and a group commit waits on the disk.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
