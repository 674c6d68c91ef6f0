package progress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what is written to tty can be read
// from ptmx.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("number of the pseudo-terminal: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the terminal side: %v", err)
	}
	return ptmx, tty
}

// TestBarOnPTY draws on a real terminal, found as one by IsTerminal.
func TestBarOnPTY(t *testing.T) {
	t.Parallel()
	ptmx, tty := openPTY(t)
	if !IsTerminal(tty) {
		t.Fatal("a pseudo-terminal not taken for a terminal")
	}
	read := make(chan []byte)
	go func() {
		var got bytes.Buffer
		_, err := io.Copy(&got, ptmx)
		if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the terminal side closed
			t.Errorf("read the pseudo-terminal: %v", err)
		}
		read <- got.Bytes()
	}()
	r := New(tty, 3, "retrying jobs", Line("line %d/%d"))
	for range 3 {
		r.Add(1)
	}
	r.Done()
	tty.Close()
	got := string(<-read)
	if strings.Contains(got, "line ") || !strings.Contains(got, "retrying jobs") || !strings.Contains(got, "(3/3") {
		t.Errorf("got %q, want a bar of retrying jobs that reaches 3/3", got)
	}
}
