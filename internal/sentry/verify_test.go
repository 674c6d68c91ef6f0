package sentry

import (
	"errors"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("c0ffee-secret-of-the-integration")
	body := fixture(t, docsFixture)
	sig := sign(secret, body)

	tests := []struct {
		name   string
		secret []byte
		body   []byte
		sig    string
		wantOK bool
	}{
		{"right", secret, body, sig, true},
		{"upper-case hex", secret, body, strings.ToUpper(sig), true},
		{"surrounding space", secret, body, " " + sig + "\t", true},
		{"empty body signed", secret, nil, sign(secret, nil), true},
		{"wrong", secret, body, sign(secret, []byte("other body")), false},
		{"empty", secret, body, "", false},
		{"truncated", secret, body, sig[:63], false},
		{"even-length prefix", secret, body, sig[:62], false},
		{"double length", secret, body, sig + sig, false},
		{"too long", secret, body, sig + "0", false},
		{"non-hex", secret, body, "z" + sig[1:], false},
		{"sha256= prefix", secret, body, "sha256=" + sig[:57], false},
		{"wrong secret", []byte("another secret"), body, sig, false},
		{"empty secret", nil, body, sign(nil, body), false},
		{"body changed", secret, append([]byte(" "), body...), sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tt.secret, tt.body, tt.sig)
			if tt.wantOK {
				if err != nil {
					t.Errorf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("Verify = %v, want ErrInvalidSignature", err)
			}
			// Nothing secret, nor the signature, goes into the message.
			for _, s := range []string{string(secret), tt.sig} {
				if s != "" && strings.Contains(err.Error(), strings.TrimSpace(s)) {
					t.Errorf("error %q leaks %q", err, s)
				}
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	for _, name := range []string{docsFixture, vueFixture} {
		f.Add([]byte("secret"), fixture(f, name), uint(7))
	}
	f.Add([]byte("k"), []byte{}, uint(0))
	f.Add([]byte{}, []byte("{}"), uint(1))
	f.Fuzz(func(t *testing.T, secret, body []byte, pos uint) {
		sig := sign(secret, body)
		err := Verify(secret, body, sig)
		if len(secret) == 0 {
			if err == nil {
				t.Fatal("Verify with an empty secret = nil, want an error")
			}
			return
		}
		if err != nil {
			t.Fatalf("Verify of a correct signature = %v, want nil", err)
		}
		if err := Verify(secret, body, strings.ToUpper(sig)); err != nil {
			t.Fatalf("Verify of an upper-case signature = %v, want nil", err)
		}
		if len(body) > 0 {
			flipped := append([]byte(nil), body...)
			flipped[pos%uint(len(flipped))] ^= 0x01
			if err := Verify(secret, flipped, sig); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("Verify of a flipped body = %v, want ErrInvalidSignature", err)
			}
		}
		b := []byte(sig)
		i := pos % uint(len(b))
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		if err := Verify(secret, body, string(b)); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("Verify of a changed signature = %v, want ErrInvalidSignature", err)
		}
	})
}

func TestSign(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	body := fixture(t, vueFixture)
	got := Sign(secret, body)
	if want := sign(secret, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if err := Verify(secret, body, got); err != nil {
		t.Errorf("Verify(Sign) = %v, want nil", err)
	}
}
