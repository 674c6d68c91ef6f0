package alert

import "time"

// flip moves the issue between open and closed: to is the state asked for,
// byPerson tells a person's action on GitHub (already done there) from one
// booty would make, and acts are booty's calls for it. While the issue flaps
// booty makes none of them and only remembers the latest state asked for.
func (m *machine) flip(to IssueState, byPerson bool, cause Cause, acts ...Effect) {
	at := m.now
	if byPerson {
		at = m.at
	}
	m.pruneFlips()
	if f := &m.s.Flapping; f.Active() {
		if f.Want != to {
			f.Want = to
			f.QuietSince = m.now
			f.WantByPerson = byPerson
		} else if byPerson {
			f.WantByPerson = true
		}
		if byPerson {
			m.setState(to, at)
		}
		m.cause = CauseFlapHeld
		return
	}
	if len(m.s.Flips) >= FlapFlips {
		m.s.Flips = nil
		m.s.Flapping = Flapping{Since: m.now, QuietSince: m.now, Want: to, WantByPerson: byPerson}
		if byPerson {
			m.setState(to, at)
		}
		m.do(Effect{Kind: EffectAddLabel, Label: LabelFlapping})
		m.do(Effect{Kind: EffectComment, Comment: Comment{Kind: CommentFlapping}})
		m.cause = CauseFlapStarted
		return
	}
	m.s.Flips = append(m.s.Flips, m.now)
	m.setState(to, at)
	for _, e := range acts {
		m.do(e)
	}
	m.cause = cause
}

// pruneFlips forgets the flips older than FlapWindow.
func (m *machine) pruneFlips() {
	keep := m.s.Flips[:0]
	for _, t := range m.s.Flips {
		if m.now.Sub(t) < FlapWindow {
			keep = append(keep, t)
		}
	}
	m.s.Flips = keep
	if len(m.s.Flips) == 0 {
		m.s.Flips = nil
	}
}

// setState moves the issue to state to at time at, starting a new close
// when it closes.
func (m *machine) setState(to IssueState, at time.Time) {
	switch {
	case to == StateOpen:
		m.s.ClosedAt = time.Time{}
		m.s.TailCommented = false
	case to.Closed() && !m.s.State.Closed():
		m.s.ClosedAt = at
		m.s.TailCommented = false
	}
	if to != m.s.State {
		m.s.RegressionDue = false
	}
	m.s.State = to
}

// settle ends the flapping of an issue quiet for FlapWindow, converging with
// one action: booty's call to reach the latest state booty asked for, or,
// when a person's action on GitHub was the latest, its mirror to Sentry
// (with SyncSentry). It reports whether the issue settled.
func (m *machine) settle() bool {
	f := m.s.Flapping
	if !f.Active() || m.now.Before(f.QuietSince.Add(FlapWindow)) {
		return false
	}
	m.s.Flapping = Flapping{}
	m.s.Flips = nil
	settled := Comment{Kind: CommentSettled}
	switch {
	case f.WantByPerson && m.p.SyncSentry && f.Want == StateOpen:
		m.do(Effect{Kind: EffectSentryUnresolve})
	case f.WantByPerson:
		m.effects = append(m.effects, m.syncClose(f.Want)...)
	case f.Want == m.s.State:
		// Already there: nothing to do.
	case f.Want == StateOpen:
		m.do(Effect{Kind: EffectReopen, Comment: settled})
		m.setState(StateOpen, m.now)
	case f.Want.Closed():
		m.do(Effect{Kind: EffectClose, CloseReason: closeReason(f.Want), Comment: settled})
		m.setState(f.Want, m.now)
	}
	return true
}
