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
	"encoding/hex"
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
	// The exact-length check comes first: hex.Decode would accept a
	// shorter even-length prefix of a valid signature.
	var want [sha256.Size]byte
	if len(sig) != hex.EncodedLen(len(want)) {
		return fmt.Errorf("%w: malformed", ErrInvalidSignature)
	}
	if _, err := hex.Decode(want[:], []byte(sig)); err != nil {
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
