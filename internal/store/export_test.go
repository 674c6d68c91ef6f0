package store

// QueuedWrites is how many writes wait for the writer, for tests that hold
// it to build a batch.
func (s *Store) QueuedWrites() int { return len(s.ops) }
