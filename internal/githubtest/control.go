package githubtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// controlPrefix starts the paths of the endpoints that drive the stand-in
// from outside the test binary. They need no token, are not counted or
// logged as API requests, and are never failed or delayed, because they
// are how a test sets those things up.
const controlPrefix = "/_standin/"

// ControlHelp describes the control endpoints, for a person driving the
// stand-in by hand (github-standin --help).
const ControlHelp = `Control endpoints (no token needed; never failed, delayed or logged):
  GET    /_standin/issues                        the issues, as JSON (number, title, body, labels, state, comments)
  GET    /_standin/requests                      the API requests so far, with the status answered
  POST   /_standin/issues/{number}/close         close an issue as a maintainer would (?reason=completed|not_planned|duplicate)
  POST   /_standin/issues/{number}/reopen        reopen it
  POST   /_standin/issues/{number}/delete        delete it: GitHub then answers 410 for it
  POST   /_standin/issues/{number}/labels/{name} put a label on, as a maintainer handing the issue over does
  DELETE /_standin/issues/{number}/labels/{name} take a label off, as a person picking the issue up does
  POST   /_standin/webhooks                      send signed issues webhooks, body {"url":"…","secret":"…"}; an empty url stops them
  GET    /_standin/deliveries                    the webhook deliveries made, once those queued have been made
  POST   /_standin/deliveries/{id}/redeliver     post a delivery again with the same X-GitHub-Delivery
  POST   /_standin/down?on=1|0                   answer every API request 503 (an outage), or stop
  POST   /_standin/drop-labels?on=1|0            drop the labels of new issues, as GitHub does for a token without push access
  POST   /_standin/issues-disabled?on=1|0        turn the repository's issues off (410 everywhere) or on
  POST   /_standin/fail                          queue a fault, body a JSON FaultSpec, for example
           {"fault":"status","status":502,"method":"POST","path":"/repos/OWNER/REPO/issues","count":1}
         faults: status, commit_then_fail, commit_then_answer (with "body"), primary_rate_limit ("reset"),
         secondary_rate_limit and too_many ("retry_after"), hang and late_commit ("hang": a Go duration),
         disconnect, oversized ("size" in bytes)
`

// controlRoutes serves the endpoints ControlHelp lists.
func (s *Server) controlRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_standin/issues", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Issues())
	})
	mux.HandleFunc("GET /_standin/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Requests())
	})
	mux.HandleFunc("POST /_standin/fail", s.controlFail)
	toggle := func(path string, set func(bool)) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			on, err := strconv.ParseBool(r.URL.Query().Get("on"))
			if err != nil {
				writeControlError(w, http.StatusBadRequest, "on must be 1 or 0")
				return
			}
			set(on)
			writeControl(w, http.StatusOK, map[string]bool{"on": on})
		})
	}
	toggle("/_standin/down", s.SetDown)
	toggle("/_standin/drop-labels", s.SetDropLabels)
	toggle("/_standin/issues-disabled", s.SetIssuesDisabled)
	issueOp := func(pattern string, op func(n int, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			n := issueNumber(r)
			if err := op(n, r); err != nil {
				writeControlError(w, http.StatusNotFound, err.Error())
				return
			}
			is, _ := s.Issue(n)
			writeControl(w, http.StatusOK, is)
		})
	}
	issueOp("POST /_standin/issues/{number}/close", func(n int, r *http.Request) error {
		return s.CloseIssueAs(n, cmpOr(r.URL.Query().Get("reason"), "completed"))
	})
	issueOp("POST /_standin/issues/{number}/reopen", func(n int, _ *http.Request) error { return s.ReopenIssue(n) })
	issueOp("POST /_standin/issues/{number}/delete", func(n int, _ *http.Request) error { return s.DeleteIssue(n) })
	issueOp("POST /_standin/issues/{number}/labels/{name...}", func(n int, r *http.Request) error {
		return s.AddLabel(n, r.PathValue("name"))
	})
	issueOp("DELETE /_standin/issues/{number}/labels/{name...}", func(n int, r *http.Request) error {
		return s.RemoveLabel(n, r.PathValue("name"))
	})
	mux.HandleFunc("POST /_standin/webhooks", s.controlWebhooks)
	mux.HandleFunc("GET /_standin/deliveries", func(w http.ResponseWriter, _ *http.Request) {
		s.WaitWebhooks()
		writeControl(w, http.StatusOK, s.Deliveries())
	})
	mux.HandleFunc("POST /_standin/deliveries/{id}/redeliver", func(w http.ResponseWriter, r *http.Request) {
		d, err := s.Redeliver(r.PathValue("id"))
		if err != nil {
			writeControlError(w, http.StatusNotFound, err.Error())
			return
		}
		writeControl(w, http.StatusOK, d)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeControlError(w, http.StatusNotFound, "no such control endpoint")
	})
	return mux
}

func (s *Server) controlFail(w http.ResponseWriter, r *http.Request) {
	var sp FaultSpec
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		writeControlError(w, http.StatusBadRequest, "fault spec: "+err.Error())
		return
	}
	f, err := sp.fault()
	if err != nil {
		writeControlError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.FailNextMatching(sp.Method, sp.Path, max(sp.Count, 1), f)
	writeControl(w, http.StatusOK, map[string]string{"queued": f.String()})
}

func (s *Server) controlWebhooks(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeControlError(w, http.StatusBadRequest, "webhooks: "+err.Error())
		return
	}
	if req.URL != "" {
		if u, err := url.Parse(req.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			writeControlError(w, http.StatusBadRequest, "webhooks: url must be an http or https URL")
			return
		}
	}
	s.SendWebhooks(req.URL, []byte(req.Secret))
	writeControl(w, http.StatusOK, map[string]bool{"on": req.URL != ""})
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	writeJSON(w, status, v)
}

func writeControlError(w http.ResponseWriter, status int, msg string) {
	writeControl(w, status, map[string]string{"error": msg})
}
