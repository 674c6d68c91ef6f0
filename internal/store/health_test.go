package store_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// TestDatabaseLost deletes or replaces the files of a serving store: every
// write is refused from then on, WriteErr says why, and one error line is
// logged, however many writes are refused.
func TestDatabaseLost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		lose func(t *testing.T, path string)
		want string
	}{
		{"database deleted", func(t *testing.T, path string) { remove(t, path) }, "was deleted"},
		{"database replaced", func(t *testing.T, path string) { replace(t, path) }, "was replaced"},
		{"lock deleted", func(t *testing.T, path string) { remove(t, path+".lock") }, "serve lock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			logs := &syncBuffer{}
			path := filepath.Join(t.TempDir(), "booty.db")
			st, err := store.OpenWith(ctx, "sqlite:"+path, store.Options{Log: slog.New(slog.NewJSONHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := recordIgnored(ctx, st, newDelivery("k", "e1", base), alert.ReasonBelowThreshold); err != nil {
				t.Fatalf("write before the loss: %v", err)
			}
			if err := st.WriteErr(); err != nil {
				t.Fatalf("WriteErr before the loss: %v", err)
			}

			tc.lose(t, path)
			if err := st.WriteErr(); !errors.Is(err, store.ErrDatabaseLost) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WriteErr: %v, want ErrDatabaseLost saying %q", err, tc.want)
			}
			for i := range 3 {
				err := recordIgnored(ctx, st, newDelivery("k", "e2", base), alert.ReasonBelowThreshold)
				if !errors.Is(err, store.ErrDatabaseLost) {
					t.Errorf("write %d after the loss: %v, want ErrDatabaseLost", i, err)
				}
			}
			if n := strings.Count(logs.String(), `"level":"ERROR"`); n != 1 {
				t.Errorf("got %d error lines, want 1:\n%s", n, logs)
			}
		})
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// replace puts another file in path's place, as a restore from backup would.
func replace(t *testing.T, path string) {
	t.Helper()
	other := path + ".new"
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
}

// TestWriteErrDiskFull fills the database (SQLite's max_page_count answers
// SQLITE_FULL exactly as a full disk does): WriteErr reports the failure
// until the next batch commits a write.
func TestWriteErrDiskFull(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t, storetest.SQLiteURL(t))
	var pages int
	if err := st.DB().QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `PRAGMA max_page_count = `+strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 64<<10) // needs new pages
	d := newDelivery("k", "e1", base)
	d.RequestID = big
	if err := recordIgnored(ctx, st, d, alert.ReasonBelowThreshold); err == nil {
		t.Fatal("write to a full database: got nil error")
	}
	err := st.WriteErr()
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("WriteErr after a full disk: %v, want it to say full", err)
	}

	if _, err := st.DB().ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := recordIgnored(ctx, st, newDelivery("k", "e2", base.Add(time.Second)), alert.ReasonBelowThreshold); err != nil {
		t.Fatalf("write after space came back: %v", err)
	}
	if err := st.WriteErr(); err != nil {
		t.Errorf("WriteErr after a good commit: %v, want nil", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
