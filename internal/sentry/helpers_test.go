package sentry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	fixtureload "booty/internal/fixture"
)

// fixtureDir holds real Sentry webhook bodies, shared by the whole module.
var fixtureDir = fixtureload.Dir()

const (
	docsFixture = "event_alert.triggered.json"
	vueFixture  = "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"
)

// fixture returns the named fixture compacted the way Sentry sends it.
func fixture(tb testing.TB, name string) []byte { return fixtureload.Sentry(tb, name) }

// fixtureMap returns the named fixture decoded, for tests to edit.
func fixtureMap(tb testing.TB, name string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(tb, name), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// eventOf returns data.event of a decoded fixture.
func eventOf(tb testing.TB, m map[string]any) map[string]any {
	tb.Helper()
	ev, ok := m["data"].(map[string]any)["event"].(map[string]any)
	if !ok {
		tb.Fatal("fixture has no data.event object")
	}
	return ev
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sign returns the Sentry-Hook-Signature of body under secret.
func sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
