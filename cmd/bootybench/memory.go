package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"booty/internal/proctest"
)

// maxRSS is the memory target: booty's peak resident memory under the
// worst inputs stays under 256 MiB.
const maxRSS = 256 << 20

// memory reproduces the two inputs that once took booty past a gigabyte,
// each against a fresh booty process, and reads the kernel's high-water
// mark of its resident memory (VmHWM) once its jobs are done: a GitHub
// answer of oversizeMB to the issue create, and flood signed bodies of
// about 1 MiB of empty stack frames sent at once. The baseline gets the
// same flood, for the ratio.
func (b *bench) memory(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== memory [%s]: a %d MB GitHub answer; %d signed 1 MiB bodies of empty frames at once\n",
		store, b.o.oversizeMB, b.o.flood)
	answer, err := b.oversizedAnswer(ctx, store)
	if err != nil {
		return nil, err
	}
	flood, err := b.emptyFrames(ctx, store)
	if err != nil {
		return nil, err
	}
	return []verdict{
		check(answer.peak < maxRSS, fmt.Sprintf("peak memory with a %d MB GitHub answer under 256 MB", b.o.oversizeMB),
			"booty's peak RSS %s (%s after start); the answer was %s", mib(answer.peak), mib(answer.idle), answer.note),
		check(flood.peak < maxRSS, fmt.Sprintf("peak memory with %d 1 MiB bodies of empty frames at once under 256 MB", b.o.flood),
			"booty's peak RSS %s (%s after start), baseline's %s (%.1f × the baseline); %s",
			mib(flood.peak), mib(flood.idle), mib(flood.basePeak), float64(flood.peak)/float64(flood.basePeak), flood.note),
		// A low peak bought by refusing the alerts would lose them: Sentry
		// does not retry.
		check(flood.accepted == b.o.flood, "every body of the flood accepted (2xx), none lost",
			"%d of %d accepted: %s", flood.accepted, b.o.flood, flood.answers),
	}, nil
}

// peak is what one memory run measured.
type peak struct {
	idle, peak uint64 // booty's VmHWM after start and after the run
	basePeak   uint64 // the baseline's, when it ran too
	accepted   int    // deliveries booty answered 2xx
	answers    string // booty's answers
	note       string
}

func mib(n uint64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }

// oversizedAnswer answers booty's first issue create with the real answer
// padded to oversizeMB, the issue body being the padding: the worst a
// broken proxy or a hostile GitHub Enterprise could send.
func (b *bench) oversizedAnswer(ctx context.Context, store string) (peak, error) {
	var served atomic.Int64
	var once sync.Once
	pad := int64(b.o.oversizeMB) << 20
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			first := false
			if r.Method == http.MethodPost && r.URL.Path == "/repos/"+owner+"/"+repo+"/issues" {
				once.Do(func() { first = true })
			}
			if !first {
				h.ServeHTTP(w, r)
				return
			}
			// The stand-in files the issue, so that booty, if it gives up
			// on the answer, finds its marker on the next attempt.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			n, _ := writeOversized(w, rec, pad)
			served.Store(n)
		})
	}
	_, p, stop, err := b.bootyOnStandIn(ctx, store, "oversize", wrap)
	if err != nil {
		return peak{}, err
	}
	defer stop()
	idle, err := p.PeakRSS()
	if err != nil {
		return peak{}, err
	}
	body, err := withEvent(b.payload, "8100000", "8100000000000000000000000000000a")
	if err != nil {
		return peak{}, err
	}
	if got := send(ctx, b.client, p.URL, signed(benchSecret, body, "oversize")); got != http.StatusAccepted {
		return peak{}, fmt.Errorf("the alert that makes booty call GitHub was answered %d, want 202", got)
	}
	states, err := waitJobsDone(ctx, p, 5*time.Minute)
	if err != nil {
		return peak{}, err
	}
	hwm, err := p.PeakRSS()
	if err != nil {
		return peak{}, err
	}
	note := fmt.Sprintf("%s sent of %s; jobs %v", mib(uint64(served.Load())), mib(uint64(pad)), nonZero(states))
	fmt.Fprintf(b.out, "  %-34s peak RSS %s (after start %s); %s\n", "oversized GitHub answer", mib(hwm), mib(idle), note)
	return peak{idle: idle, peak: hwm, note: note}, nil
}

// writeOversized writes rec's answer with its "body" replaced by pad
// bytes of text, streamed, under an honest Content-Length. It returns how
// many bytes the client took.
func writeOversized(w http.ResponseWriter, rec *httptest.ResponseRecorder, pad int64) (int64, error) {
	var issue map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &issue); err != nil || rec.Code != http.StatusCreated {
		w.WriteHeader(rec.Code)
		n, err := w.Write(rec.Body.Bytes())
		return int64(n), err
	}
	delete(issue, "body")
	head, _ := json.Marshal(issue)
	prefix := append(head[:len(head)-1:len(head)-1], `,"body":"`...)
	suffix := []byte(`"}`)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(int64(len(prefix))+pad+int64(len(suffix)), 10))
	w.WriteHeader(http.StatusCreated)
	cw := &countingWriter{w: w}
	if _, err := cw.Write(prefix); err != nil {
		return cw.n, err
	}
	if _, err := io.CopyN(cw, repeatReader('a'), pad); err != nil {
		return cw.n, err
	}
	_, err := cw.Write(suffix)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// repeatReader reads c for ever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// emptyFrames sends flood signed bodies, each a fresh problem whose
// stack trace is padded with empty frames ({}) up to booty's 1 MiB body
// limit, all at once, to booty and then to the baseline.
func (b *bench) emptyFrames(ctx context.Context, store string) (peak, error) {
	bodies := make([]request, b.o.flood)
	frames := 0
	for i := range bodies {
		body, n, err := framesBody(b.payload, fmt.Sprint(8200000+i), fmt.Sprintf("82%030x", i), baselineMaxBody)
		if err != nil {
			return peak{}, err
		}
		bodies[i], frames = signed(benchSecret, body, fmt.Sprintf("flood-%d", i)), n
	}
	_, p, stop, err := b.bootyOnStandIn(ctx, store, "flood", nil)
	if err != nil {
		return peak{}, err
	}
	defer stop()
	idle, err := p.PeakRSS()
	if err != nil {
		return peak{}, err
	}
	res := burst(ctx, b.client, p.URL, bodies)
	if res.answered2xx() != res.total {
		printErrors(b.out, p)
	}
	if _, err := waitJobsDone(ctx, p, 5*time.Minute); err != nil {
		return peak{}, err
	}
	hwm, err := p.PeakRSS()
	if err != nil {
		return peak{}, err
	}
	_ = p.Kill()

	base, err := b.startBaseline(ctx)
	if err != nil {
		return peak{}, err
	}
	defer func() { _ = base.Kill() }()
	baseRes := burst(ctx, b.client, base.URL, bodies)
	baseHWM, err := base.PeakRSS()
	if err != nil {
		return peak{}, err
	}
	note := fmt.Sprintf("%d frames a body; booty answered %s, the baseline %s", frames, res.answers(), baseRes.answers())
	fmt.Fprintf(b.out, "  %-34s peak RSS %s (after start %s); baseline %s; %s\n", "empty-frame flood", mib(hwm), mib(idle), mib(baseHWM), note)
	return peak{idle: idle, peak: hwm, basePeak: baseHWM, accepted: res.answered2xx(), answers: res.answers(), note: note}, nil
}

// burst sends every request at the same moment, each on its own
// connection.
func burst(ctx context.Context, c *http.Client, url string, rs []request) result {
	statuses := make([]int, len(rs))
	lat := make([]time.Duration, len(rs))
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	start := time.Now()
	for i := range rs {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-gate
			t := time.Now()
			statuses[i] = send(ctx, c, url, rs[i])
			lat[i] = time.Since(t)
		})
	}
	ready.Wait()
	close(gate)
	done.Wait()
	return summarize(time.Since(start), lat, statuses)
}

// framesBody returns payload as a fresh problem whose first exception's
// stack trace starts with as many empty frames as fit under limit bytes,
// and that number.
func framesBody(payload []byte, issueID, eventID string, limit int) ([]byte, int, error) {
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, 0, fmt.Errorf("fixture: %w", err)
	}
	ev, _ := m["data"].(map[string]any)["event"].(map[string]any)
	exc, _ := ev["exception"].(map[string]any)
	values, _ := exc["values"].([]any)
	if len(values) == 0 {
		return nil, 0, fmt.Errorf("fixture has no exception to pad")
	}
	st, _ := values[0].(map[string]any)["stacktrace"].(map[string]any)
	if st == nil {
		return nil, 0, fmt.Errorf("fixture's exception has no stack trace")
	}
	real := []byte("[]")
	if list, ok := st["frames"].([]any); ok && len(list) > 0 {
		real, _ = json.Marshal(list)
	}
	const mark = "BOOTYBENCH_FRAMES"
	st["frames"] = mark
	ev["issue_id"], ev["event_id"] = issueID, eventID
	shell, err := json.Marshal(m)
	if err != nil {
		return nil, 0, err
	}
	// "{}," per empty frame, in front of the real ones.
	room := limit - (len(shell) - len(mark) - 2) - len(real)
	n := room / 3
	if n < 1 {
		return nil, 0, fmt.Errorf("no room for empty frames under %d bytes", limit)
	}
	frames := "[" + strings.Repeat("{},", n) + string(real[1:])
	if len(real) == 2 {
		frames = "[" + strings.Repeat("{},", n-1) + "{}]"
	}
	return bytes.Replace(shell, []byte(`"`+mark+`"`), []byte(frames), 1), n, nil
}

// printErrors prints the first few error lines of p's log, cut short, to
// say why a delivery was refused.
func printErrors(w io.Writer, p *proctest.Process) {
	shown := 0
	for line := range strings.Lines(p.Logs.String()) {
		if shown == 3 {
			break
		}
		if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) {
			if len(line) > 300 {
				line = line[:300] + "…\n"
			}
			fmt.Fprintf(w, "  booty logged: %s", line)
			shown++
		}
	}
}

// nonZero keeps the states that hold jobs, for a short note.
func nonZero(states map[string]int) map[string]int {
	out := map[string]int{}
	for s, n := range states {
		if n > 0 {
			out[s] = n
		}
	}
	return out
}
