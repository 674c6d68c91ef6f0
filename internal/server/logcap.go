package server

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// maxLogValue caps every value booty logs from a request's headers or
// body: a sender chooses their length.
const maxLogValue = 128

// clip returns s cut to at most n bytes, at a rune boundary, and marked
// with how much was cut, so a cut value never passes for a whole one.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)-cut) + " bytes cut]"
}

// The sampling of rejected requests' log lines: per kind, a burst, then a
// line a second, each saying how many lines were left out before it.
const (
	rejectedLogsPerSecond = 1
	rejectedLogBurst      = 10
)

// logSampler lets a few log lines of each kind through and counts the
// rest, so that a flood of bad requests cannot flood the log while the
// metric still counts every one. Kinds are a fixed set chosen by booty,
// never values from a request, so it holds a few entries at most.
type logSampler struct {
	every rate.Limit
	burst int

	mu    sync.Mutex
	kinds map[string]*sampledKind
}

type sampledKind struct {
	lim        *rate.Limiter
	suppressed int
}

func newLogSampler(perSecond rate.Limit, burst int) *logSampler {
	return &logSampler{every: perSecond, burst: burst, kinds: make(map[string]*sampledKind)}
}

// allow reports whether a line of kind may be logged at now and, if so,
// how many lines of that kind were suppressed since the last one logged.
func (l *logSampler) allow(kind string, now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kinds[kind]
	if k == nil {
		k = &sampledKind{lim: rate.NewLimiter(l.every, l.burst)}
		l.kinds[kind] = k
	}
	if !k.lim.AllowN(now, 1) {
		k.suppressed++
		return false, 0
	}
	suppressed, k.suppressed = k.suppressed, 0
	return true, suppressed
}
