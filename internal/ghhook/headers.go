package ghhook

import (
	"errors"
	"strings"
)

// The headers of a GitHub webhook delivery booty reads.
const (
	HeaderEvent     = "X-GitHub-Event"
	HeaderDelivery  = "X-GitHub-Delivery"
	HeaderSignature = "X-Hub-Signature-256"
)

// maxDeliveryID bounds X-GitHub-Delivery; GitHub sends a 36-character UUID.
const maxDeliveryID = 100

var errBadDeliveryID = errors.New("X-GitHub-Delivery is not an id")

// DeliveryID returns the X-GitHub-Delivery header, trimmed, for booty to
// dedup deliveries on: GitHub sends a redelivery with the id of the
// delivery it repeats. An id that is empty, longer than 100 bytes, or holds
// anything but letters, digits, '-', '_' and '.' is a *PayloadError, so a
// hostile header never reaches the store or a log line.
func DeliveryID(header string) (string, error) {
	id := strings.TrimSpace(header)
	if id == "" {
		return "", &PayloadError{Missing: []string{HeaderDelivery}}
	}
	if len(id) > maxDeliveryID || strings.IndexFunc(id, notIDRune) >= 0 {
		return "", &PayloadError{Err: errBadDeliveryID}
	}
	return id, nil
}

func notIDRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
		return false
	}
	return true
}
