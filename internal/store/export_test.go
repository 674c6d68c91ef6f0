package store

// WritesInFlight is how many writes were handed to the writer, queued or in
// its batch, and are not answered yet.
func (s *Store) WritesInFlight() int { return int(s.lite.inFlight.Load()) }
