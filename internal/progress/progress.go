// Package progress shows how far a long piece of work has come: a bar when
// the writer is a terminal, and otherwise a line now and then (a log, a
// pipe, a test's buffer), so that an operator watching sees it move and a
// log keeps a readable record without terminal control codes.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Defaults of the periodic lines: one each tenth of the work, or each few
// seconds when a tenth takes longer.
const (
	defaultStep     = 10 // percent
	defaultInterval = 5 * time.Second
	// barThrottle keeps the bar from redrawing on every unit of fast
	// work, and busy workers from queueing on the bar's lock.
	barThrottle = 100 * time.Millisecond
)

// Option changes how a Reporter shows progress.
type Option func(*config)

type config struct {
	line       string
	transient  bool
	step       int
	interval   time.Duration
	isTerminal func(io.Writer) bool
	now        func() time.Time
}

// Line sets the format of the periodic lines written when the writer is
// not a terminal: a fmt format taking the units done and the total, both
// integers, such as "booty: copied %d/%d rows". The default is the
// description given to New followed by "%d/%d".
func Line(format string) Option { return func(c *config) { c.line = format } }

// Transient clears the bar from the terminal when the work is done, for
// work whose result is reported elsewhere. Periodic lines stay.
func Transient() Option { return func(c *config) { c.transient = true } }

// Every sets how often periodic lines come: each time the work advances
// by step percent of the total, or when interval has passed since the last
// line and the work advanced at all.
func Every(step int, interval time.Duration) Option {
	return func(c *config) { c.step, c.interval = step, interval }
}

// Reporter shows the progress of total units of work. It is safe for
// concurrent use: workers can each Add what they finish.
type Reporter struct {
	mu    sync.Mutex
	cfg   config
	w     io.Writer
	total int
	done  int
	ended bool
	bar   *progressbar.ProgressBar // nil when writing lines

	// shown and shownAt are the units of the last line or drawing of the
	// bar, and when it was made.
	shown   int
	shownAt time.Time
}

// New returns a Reporter of total units of work on w, described by what
// (such as "copying rows"). On a terminal it draws a bar at once; otherwise
// it writes a line as the work advances (see Line and Every) and a last
// one from Done. With total below 1 there is nothing to show, and it shows
// nothing.
func New(w io.Writer, total int, what string, opts ...Option) *Reporter {
	cfg := config{
		line: strings.ReplaceAll(what, "%", "%%") + " %d/%d",
		step: defaultStep, interval: defaultInterval,
		isTerminal: IsTerminal, now: time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	r := &Reporter{cfg: cfg, w: w, total: total, shownAt: cfg.now()}
	if total > 0 && cfg.isTerminal(w) {
		r.bar = newBar(w, total, what, cfg.transient)
	}
	return r
}

// newBar returns a bar drawn at once on w. The bar is drawn whenever it is
// told (the Reporter throttles), and ends its line when full, or clears it
// when transient.
func newBar(w io.Writer, total int, what string, transient bool) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
	}
	if transient {
		opts = append(opts, progressbar.OptionClearOnFinish())
	} else {
		opts = append(opts, progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	return progressbar.NewOptions(total, opts...)
}

// IsTerminal reports whether w is a terminal: an *os.File on one.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Add counts n more units done.
func (r *Reporter) Add(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.update(r.done + n)
}

// Set says done units are done in all.
func (r *Reporter) Set(done int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.update(done)
}

// Printf writes a line of its own, such as an error met on the way, above
// the bar on a terminal (which it draws again below), among the periodic
// lines otherwise. A newline ends the line when format has none.
func (r *Reporter) Printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	drawn := r.bar != nil && !r.ended && !r.bar.IsFinished()
	if drawn {
		_ = r.bar.Clear()
	}
	_, _ = io.WriteString(r.w, msg)
	if drawn {
		_ = r.bar.RenderBlank()
	}
}

// Done ends the report, whether or not the work got to its total: it
// writes the last line, or leaves the bar where it got to on a line of its
// own (or clears it, with Transient). Later calls do nothing.
func (r *Reporter) Done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || r.total < 1 {
		r.ended = true
		return
	}
	r.ended = true
	if r.bar == nil {
		if r.done > 0 && r.done != r.shown {
			r.writeLine()
		}
		return
	}
	if r.bar.IsFinished() {
		return // the full bar ended its line or cleared itself
	}
	_ = r.bar.Set(r.done) // the last units, however recent the drawing
	if r.cfg.transient {
		_ = r.bar.Clear()
		return
	}
	_ = r.bar.Exit() // ends the bar's line
}

func (r *Reporter) update(done int) {
	if r.ended || r.total < 1 {
		return
	}
	r.done = min(max(done, 0), r.total)
	if r.bar != nil {
		if now := r.cfg.now(); r.done == r.total || now.Sub(r.shownAt) >= barThrottle {
			_ = r.bar.Set(r.done)
			r.shown, r.shownAt = r.done, now
		}
		return
	}
	advanced := r.done - r.shown
	if advanced <= 0 {
		return
	}
	if advanced*100 >= r.cfg.step*r.total || r.cfg.now().Sub(r.shownAt) >= r.cfg.interval {
		r.writeLine()
	}
}

// writeLine writes the current units as a periodic line.
func (r *Reporter) writeLine() {
	fmt.Fprintf(r.w, r.cfg.line+"\n", r.done, r.total)
	r.shown, r.shownAt = r.done, r.cfg.now()
}
