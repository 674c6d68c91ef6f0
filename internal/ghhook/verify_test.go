package ghhook

import (
	"errors"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("It's a Secret to Everybody")
	body := []byte("Hello, World!")
	// GitHub's documented example for this secret and body.
	const documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := Sign(secret, body); got != documented {
		t.Fatalf("Sign = %q, want GitHub's %q", got, documented)
	}
	changed := append([]byte(nil), body...)
	changed[0] ^= 1
	tests := []struct {
		name    string
		secret  []byte
		body    []byte
		header  string
		wantErr error
	}{
		{"good", secret, body, documented, nil},
		{"good with spaces", secret, body, " " + documented + "\r\n", nil},
		{"upper-case hex", secret, body, "sha256=" + strings.ToUpper(documented[7:]), nil},
		{"wrong secret", []byte("another secret"), body, documented, ErrSignatureMismatch},
		{"body changed by one byte", secret, changed, documented, ErrSignatureMismatch},
		{"body with a byte more", secret, append(body[:len(body):len(body)], '\n'), documented, ErrSignatureMismatch},
		{"missing", secret, body, "", ErrMissingSignature},
		{"blank", secret, body, "  ", ErrMissingSignature},
		{"no prefix", secret, body, documented[7:], ErrMalformedSignature},
		{"sha1 header", secret, body, "sha1=" + documented[7:47], ErrMalformedSignature},
		{"prefix in capitals", secret, body, "SHA256=" + documented[7:], ErrMalformedSignature},
		{"bad hex", secret, body, documented[:len(documented)-1] + "g", ErrMalformedSignature},
		{"short", secret, body, documented[:len(documented)-2], ErrMalformedSignature},
		{"long", secret, body, documented + "00", ErrMalformedSignature},
		{"prefix only", secret, body, "sha256=", ErrMalformedSignature},
		{"no secret", nil, body, documented, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tt.secret, tt.body, tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				return
			}
			if !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("Verify = %v, does not match ErrInvalidSignature", err)
			}
			if strings.Contains(err.Error(), string(secret)) || (strings.TrimSpace(tt.header) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.header))) {
				t.Errorf("error %q quotes the secret or the header", err)
			}
		})
	}
}

func TestVerifyReasonsAreDistinct(t *testing.T) {
	t.Parallel()
	reasons := []error{ErrNoSecret, ErrMissingSignature, ErrMalformedSignature, ErrSignatureMismatch}
	for i, a := range reasons {
		for j, b := range reasons {
			if got := errors.Is(a, b); got != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %t, want %t", a, b, got, i == j)
			}
		}
	}
}

func TestVerifyAny(t *testing.T) {
	t.Parallel()
	old, next := []byte("old secret"), []byte("new secret")
	body := []byte(`{"zen":"Keep it logically awesome."}`)
	tests := []struct {
		name    string
		secrets [][]byte
		signer  []byte
		wantErr error
	}{
		{"signed with the old", [][]byte{next, old}, old, nil},
		{"signed with the new", [][]byte{next, old}, next, nil},
		{"signed with neither", [][]byte{next, old}, []byte("third"), ErrSignatureMismatch},
		{"empty secrets skipped", [][]byte{nil, old}, old, nil},
		{"only empty secrets", [][]byte{nil, {}}, old, ErrNoSecret},
		{"no secrets", nil, old, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := VerifyAny(tt.secrets, body, Sign(tt.signer, body)); !errors.Is(err, tt.wantErr) {
				t.Errorf("VerifyAny = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
