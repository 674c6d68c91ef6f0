package sentry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Sign returns the Sentry-Hook-Signature Sentry sends with body: the hex
// HMAC-SHA256 of the exact bytes, keyed with the client secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
