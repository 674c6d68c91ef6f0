package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"booty/internal/store"
	"booty/internal/storetest"
)

// TestServeLockRefusesSecondServe opens one file to serve twice. flock
// belongs to the open file description, so the second open in this process
// meets the lock exactly as a second booty process would.
func TestServeLockRefusesSecondServe(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	first := openStore(t, storetest.SQLiteURL(t))
	path := first.Path()
	if _, err := first.DB().ExecContext(ctx, `CREATE TABLE probe (n INTEGER)`); err != nil {
		t.Fatal(err)
	}

	second, err := store.Open(ctx, "sqlite:"+path)
	if err == nil {
		second.Close()
		t.Fatal("second serve open: got nil error, want the store in use")
	}
	if !errors.Is(err, store.ErrInUse) {
		t.Errorf("second serve open: %v, want ErrInUse", err)
	}
	for _, want := range []string{path, "process " + strconv.Itoa(os.Getpid()), path + ".lock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	b, err := os.ReadFile(path + ".lock")
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q (%v), want this process's PID", b, err)
	}

	// An operator command works beside the server.
	op, err := store.OpenWith(ctx, "sqlite:"+path, store.Options{Access: store.Operate})
	if err != nil {
		t.Fatalf("operate beside serve: %v", err)
	}
	if _, err := op.ParkedJobs(ctx); err != nil {
		t.Errorf("ParkedJobs beside serve: %v", err)
	}
	if _, err := op.RequeueOrphans(ctx); err == nil {
		t.Error("RequeueOrphans from an operator store: got nil error, want a refusal")
	}
	op.Close()

	// Once the first stops, the next serve starts.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("serve after the first closed: %v", err)
	}
	next.Close()
}

// TestOperateNeverCreates opens stores that do not exist for an operator:
// each is an error naming the path and the variable, and no file appears.
func TestOperateNeverCreates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct{ name, path string }{
		{"missing file", filepath.Join(dir, "booty.db")},
		{"missing directory", filepath.Join(dir, "var", "lib", "booty.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := store.OpenWith(t.Context(), "sqlite:"+tc.path, store.Options{Access: store.Operate})
			if err == nil {
				st.Close()
				t.Fatal("got nil error, want no database")
			}
			if !errors.Is(err, store.ErrNoDatabase) || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), "BOOTY_DATABASE_URL") {
				t.Errorf("got %v, want ErrNoDatabase naming %s and BOOTY_DATABASE_URL", err, tc.path)
			}
			if _, err := os.Stat(tc.path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after the open (%v)", tc.path, err)
			}
		})
	}
}
