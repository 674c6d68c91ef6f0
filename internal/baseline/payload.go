// Package baseline holds the yardstick booty's speed is measured against:
// the fields booty reads from a Sentry event alert, in plain types, as a
// bare handler would decode them. The service benchmark (cmd/bootybench)
// and the parser's benchmark (internal/sentry) decode the same type, so
// that their baselines cannot drift apart.
package baseline

import "encoding/json"

// Payload holds the fields booty reads from an event alert: what a real
// handler has to decode. A map[string]any would build every value of the
// payload and make the baseline slower than any real handler, flattering
// booty.
type Payload struct {
	Action string `json:"action"`
	Data   struct {
		Event *struct {
			EventID     string `json:"event_id"`
			IssueID     string `json:"issue_id"`
			Level       string `json:"level"`
			Title       string `json:"title"`
			Culprit     string `json:"culprit"`
			Release     string `json:"release"`
			Environment string `json:"environment"`
			Exception   struct {
				Values []struct {
					Type       string `json:"type"`
					Value      string `json:"value"`
					Stacktrace struct {
						Frames []struct {
							Filename    string   `json:"filename"`
							AbsPath     string   `json:"abs_path"`
							Module      string   `json:"module"`
							Function    string   `json:"function"`
							Lineno      int      `json:"lineno"`
							Colno       int      `json:"colno"`
							InApp       bool     `json:"in_app"`
							ContextLine string   `json:"context_line"`
							PreContext  []string `json:"pre_context"`
							PostContext []string `json:"post_context"`
						} `json:"frames"`
					} `json:"stacktrace"`
				} `json:"values"`
			} `json:"exception"`
			Breadcrumbs struct {
				Values []struct {
					Timestamp json.Number     `json:"timestamp"`
					Type      string          `json:"type"`
					Category  string          `json:"category"`
					Level     string          `json:"level"`
					Message   string          `json:"message"`
					Data      json.RawMessage `json:"data"`
				} `json:"values"`
			} `json:"breadcrumbs"`
		} `json:"event"`
	} `json:"data"`
}
