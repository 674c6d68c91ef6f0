package ghhook

import (
	"errors"
	"strings"
	"testing"
)

func TestDeliveryID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, want string
		wantErr            bool
	}{
		{"uuid", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "72d3162e-cc78-11e3-81ab-4c9367dc0958", false},
		{"padded", " 72d3162e-cc78-11e3-81ab-4c9367dc0958\r\n", "72d3162e-cc78-11e3-81ab-4c9367dc0958", false},
		{"other safe characters", "Abc_1.2-3", "Abc_1.2-3", false},
		{"missing", "", "", true},
		{"blank", "   ", "", true},
		{"too long", strings.Repeat("a", maxDeliveryID+1), "", true},
		{"longest", strings.Repeat("a", maxDeliveryID), strings.Repeat("a", maxDeliveryID), false},
		{"space inside", "72d3162e cc78", "", true},
		{"control character", "abc\x1b[31m", "", true},
		{"quote", `abc"def`, "", true},
		{"non-ASCII", "abcé", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DeliveryID(tt.header)
			if _, typed := errors.AsType[*PayloadError](err); (err != nil) != tt.wantErr || (err != nil && !typed) {
				t.Fatalf("DeliveryID(%q) error %v (%T), want error %t as a *PayloadError", tt.header, err, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("DeliveryID(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}
