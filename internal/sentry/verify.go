// Package sentry holds everything Sentry-specific on the intake side of
// booty: verifying the signature of an Integration Platform webhook and
// parsing its payload into an alert.Alert. Sentry's wire types never leave
// this package.
//
// Both functions are fed untrusted bytes on the hot path of every delivery,
// so they are written to be cheap and are fuzzed.
package sentry

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidSignature reports a Sentry-Hook-Signature header that is
// missing, malformed, or does not match the body. Callers test for it with
// errors.Is; the wrapped message says which, and never holds the secret.
var ErrInvalidSignature = errors.New("invalid signature")

// Verify checks sig, the value of the Sentry-Hook-Signature header, against
// body, the raw bytes received. Sentry signs with
// hex(HMAC-SHA256(client_secret, body)): 64 lower-case hex characters, no
// prefix; upper-case hex is accepted too. The comparison is constant-time. An
// empty secret never verifies, so a misconfigured server rejects everything
// instead of accepting everything.
func Verify(secret, body []byte, sig string) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret configured", ErrInvalidSignature)
	}
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return fmt.Errorf("%w: missing", ErrInvalidSignature)
	}
	var want [sha256.Size]byte
	if !decodeHex(want[:], sig) {
		return fmt.Errorf("%w: malformed", ErrInvalidSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	var buf [sha256.Size]byte
	if !hmac.Equal(mac.Sum(buf[:0]), want[:]) {
		return fmt.Errorf("%w: mismatch", ErrInvalidSignature)
	}
	return nil
}

// decodeHex decodes s into dst and reports whether s was exactly
// 2*len(dst) hex digits. It avoids encoding/hex so that the header string
// needs no conversion to a byte slice (an allocation per request).
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
