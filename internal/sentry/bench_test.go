package sentry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"booty/internal/baseline"
)

var benchSecret = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

// BenchmarkParse parses the 28 KB real event alert, compacted as Sentry
// sends it.
func BenchmarkParse(b *testing.B) {
	body := fixture(b, vueFixture)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse("event_alert", body)
		if err != nil || d.Alert == nil {
			b.Fatalf("Parse: %v", err)
		}
	}
}

// BenchmarkVerify verifies the signature of the same body.
func BenchmarkVerify(b *testing.B) {
	body := fixture(b, vueFixture)
	sig := sign(benchSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(benchSecret, body, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParse is booty's intake work for one delivery.
func BenchmarkVerifyParse(b *testing.B) {
	body := fixture(b, vueFixture)
	sig := sign(benchSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(benchSecret, body, sig); err != nil {
			b.Fatal(err)
		}
		if _, err := Parse("event_alert", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineMap is the yardstick: a generic decode of the same body
// into map[string]any.
func BenchmarkBaselineMap(b *testing.B) {
	body := fixture(b, vueFixture)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIntakeVsBaseline alternates booty's intake work and the bare
// handlers' on every iteration, so that load from elsewhere on the machine
// hits all alike, and reports booty's throughput as a fraction of each:
// throughput-ratio against the map[string]any handler (the target is at
// least 0.5), typed-ratio against the typed one, the yardstick of the
// service's throughput target.
func BenchmarkIntakeVsBaseline(b *testing.B) {
	body := fixture(b, vueFixture)
	sig := sign(benchSecret, body)
	var booty, bare, typed time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if err := Verify(benchSecret, body, sig); err != nil {
			b.Fatal(err)
		}
		if _, err := Parse("event_alert", body); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		bareHandler(b, body, sig)
		end := time.Now()
		typedHandler(b, body, sig)
		booty += mid.Sub(start)
		bare += end.Sub(mid)
		typed += time.Since(end)
	}
	b.ReportMetric(float64(booty.Nanoseconds())/float64(b.N), "booty-ns/op")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(typed.Nanoseconds())/float64(b.N), "typed-ns/op")
	b.ReportMetric(bare.Seconds()/booty.Seconds(), "throughput-ratio")
	b.ReportMetric(typed.Seconds()/booty.Seconds(), "typed-ratio")
}

// bareHandler is the work of a handler that only checks the HMAC and
// decodes the body into map[string]any.
func bareHandler(b *testing.B, body []byte, sig string) {
	mac := hmac.New(sha256.New, benchSecret)
	mac.Write(body)
	want, _ := hex.DecodeString(sig)
	if !hmac.Equal(mac.Sum(nil), want) {
		b.Fatal("bad signature")
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBaselineHandler is the work of a bare handler that only checks
// the HMAC and decodes the body into map[string]any; booty must keep at
// least half its throughput (compare with BenchmarkVerifyParse).
func BenchmarkBaselineHandler(b *testing.B) {
	body := fixture(b, vueFixture)
	sig := sign(benchSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		bareHandler(b, body, sig)
	}
}

// typedHandler is the work of a handler that only checks the HMAC and
// decodes baseline.Payload.
func typedHandler(b *testing.B, body []byte, sig string) {
	if err := Verify(benchSecret, body, sig); err != nil {
		b.Fatal(err)
	}
	var p baseline.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.Data.Event == nil {
		b.Fatalf("decode: %v", err)
	}
}

// BenchmarkBaselineHandlerTyped is the typed bare handler alone: the parse
// has to cost close to its decode for the service to keep 0.6 of its
// throughput.
func BenchmarkBaselineHandlerTyped(b *testing.B) {
	body := fixture(b, vueFixture)
	sig := sign(benchSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		typedHandler(b, body, sig)
	}
}
