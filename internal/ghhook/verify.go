package ghhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// signaturePrefix starts every X-Hub-Signature-256 value GitHub sends.
const signaturePrefix = "sha256="

// ErrInvalidSignature matches, through errors.Is, every error Verify and
// VerifyAny return: a delivery that fails any check is refused the same way.
// The finer errors below tell the reasons apart for answers and metrics.
var ErrInvalidSignature = errors.New("invalid signature")

// The reasons a signature check fails. Each also matches ErrInvalidSignature.
var (
	// ErrNoSecret reports that no non-empty secret was configured, so that
	// a misconfigured server refuses every delivery rather than accepting
	// every one.
	ErrNoSecret error = signatureError("no webhook secret configured")
	// ErrMissingSignature reports a delivery without X-Hub-Signature-256.
	ErrMissingSignature error = signatureError("missing X-Hub-Signature-256")
	// ErrMalformedSignature reports a header that is not "sha256=" and 64
	// hex digits.
	ErrMalformedSignature error = signatureError("malformed X-Hub-Signature-256")
	// ErrSignatureMismatch reports a well-formed signature that no secret
	// produces over the body: the wrong secret, or a changed body.
	ErrSignatureMismatch error = signatureError("X-Hub-Signature-256 does not match the body")
)

// signatureError is comparable, so each reason is its own sentinel, and
// matches ErrInvalidSignature too.
type signatureError string

func (e signatureError) Error() string { return "invalid signature: " + string(e) }

func (e signatureError) Is(target error) bool { return target == ErrInvalidSignature }

// Verify checks signatureHeader, the X-Hub-Signature-256 header as received,
// against body, the raw bytes of the delivery: GitHub sends
// "sha256=" + hex(HMAC-SHA256(secret, body)). The comparison is
// constant-time. The error is one of ErrNoSecret, ErrMissingSignature,
// ErrMalformedSignature or ErrSignatureMismatch, and never holds the secret
// or the header.
func Verify(secret, body []byte, signatureHeader string) error {
	return VerifyAny([][]byte{secret}, body, signatureHeader)
}

// VerifyAny is Verify for a secret being rotated: the delivery passes when
// any of the non-empty secrets signed it. Every secret is tried, so the time
// taken does not say which one matched.
func VerifyAny(secrets [][]byte, body []byte, signatureHeader string) error {
	if !hasSecret(secrets) {
		return ErrNoSecret
	}
	want, err := decodeSignature(signatureHeader)
	if err != nil {
		return err
	}
	ok := false
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		got := mac(secret, body)
		if hmac.Equal(got[:], want[:]) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureMismatch
	}
	return nil
}

// Sign returns the X-Hub-Signature-256 value GitHub sends with body.
func Sign(secret, body []byte) string {
	sum := mac(secret, body)
	return signaturePrefix + hex.EncodeToString(sum[:])
}

func hasSecret(secrets [][]byte) bool {
	for _, s := range secrets {
		if len(s) > 0 {
			return true
		}
	}
	return false
}

func decodeSignature(header string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	header = strings.TrimSpace(header)
	if header == "" {
		return sum, ErrMissingSignature
	}
	digits, ok := strings.CutPrefix(header, signaturePrefix)
	// The exact length comes first: hex.Decode would accept a shorter
	// even-length prefix of a valid signature.
	if !ok || len(digits) != hex.EncodedLen(sha256.Size) {
		return sum, ErrMalformedSignature
	}
	if _, err := hex.Decode(sum[:], []byte(digits)); err != nil {
		return sum, ErrMalformedSignature
	}
	return sum, nil
}

func mac(secret, body []byte) [sha256.Size]byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}
