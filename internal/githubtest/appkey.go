package githubtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
)

// Test keys are made once per test binary: a 2048-bit RSA key, GitHub's
// size for an App's key, takes a good part of a second to generate.
var (
	appKey   = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	otherKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

// AppKey returns the RSA key of the tests' GitHub App: give its public half
// to App.PublicKey and the key to the client under test.
func AppKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := appKey()
	if err != nil {
		tb.Fatalf("generate an App key: %v", err)
	}
	return k
}

// OtherKey returns a second RSA key, not the App's: what a client holding
// the wrong private key signs with.
func OtherKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := otherKey()
	if err != nil {
		tb.Fatalf("generate a key: %v", err)
	}
	return k
}

// PKCS1PEM encodes key as GitHub hands an App's private key out: a PEM
// "RSA PRIVATE KEY" block.
func PKCS1PEM(key *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// PKCS8PEM encodes key as a PEM "PRIVATE KEY" block, as openssl pkcs8 and
// most secret stores convert it.
func PKCS8PEM(key *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		// An RSA key always marshals.
		panic("githubtest: marshal PKCS#8: " + err.Error())
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
