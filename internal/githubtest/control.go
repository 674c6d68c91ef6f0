package githubtest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// controlPrefix starts the paths of the endpoints that drive the stand-in
// from outside the test binary. They need no token, are not counted or
// logged as API requests, and are never failed or delayed, because they
// are how a test sets those things up.
const controlPrefix = "/_standin/"

// controlRoutes serves:
//
//	GET  /_standin/issues                   the issues, as []Issue JSON
//	GET  /_standin/requests                 the API requests so far, as []Request JSON
//	POST /_standin/fail                     queue a fault; body is a FaultSpec
//	POST /_standin/down?on=1                SetDown(true); on=0 sets it up again
//	POST /_standin/issues/{number}/close    CloseIssue(number)
func (s *Server) controlRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_standin/issues", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Issues())
	})
	mux.HandleFunc("GET /_standin/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Requests())
	})
	mux.HandleFunc("POST /_standin/fail", s.controlFail)
	mux.HandleFunc("POST /_standin/down", func(w http.ResponseWriter, r *http.Request) {
		on, err := strconv.ParseBool(r.URL.Query().Get("on"))
		if err != nil {
			writeControlError(w, http.StatusBadRequest, "on must be 1 or 0")
			return
		}
		s.SetDown(on)
		writeControl(w, http.StatusOK, map[string]bool{"down": on})
	})
	mux.HandleFunc("POST /_standin/issues/{number}/close", func(w http.ResponseWriter, r *http.Request) {
		n := issueNumber(r)
		if err := s.CloseIssue(n); err != nil {
			writeControlError(w, http.StatusNotFound, err.Error())
			return
		}
		is, _ := s.Issue(n)
		writeControl(w, http.StatusOK, is)
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

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	writeJSON(w, status, v)
}

func writeControlError(w http.ResponseWriter, status int, msg string) {
	writeControl(w, status, map[string]string{"error": msg})
}
