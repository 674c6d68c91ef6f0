package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"booty/internal/alert"
	"booty/internal/store"
)

// API limits: limit defaults to defaultAPILimit and is at most
// maxAPILimit; offset is at most maxOffset, as the store is read from
// the newest problem on.
const (
	defaultAPILimit = 100
	maxAPILimit     = 1000
	maxOffset       = 10000
)

// ProblemListJSON is GET /api/v1/problems: a page of problems, the most
// recently seen first. More says there are problems after this page.
type ProblemListJSON struct {
	Problems []ProblemJSON `json:"problems"`
	Offset   int           `json:"offset"`
	Limit    int           `json:"limit"`
	More     bool          `json:"more"`
}

// errorJSON is the API's answer to a request it cannot serve.
type errorJSON struct {
	Error string `json:"error"`
}

func (h *handler) apiProblems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit", defaultAPILimit, 1, maxAPILimit)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	offset, err := intParam(q.Get("offset"), "offset", 0, 0, maxOffset)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	list, more, err := h.listProblems(r, filterOf(q.Get), offset, limit)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	out := ProblemListJSON{Problems: make([]ProblemJSON, 0, len(list)), Offset: offset, Limit: limit, More: more}
	for _, p := range list {
		out.Problems = append(out.Problems, NewProblemJSON(p, h.links))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) apiProblem(w http.ResponseWriter, r *http.Request) {
	v, err := h.problemView(r)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v.JSON(h.links))
}

// filterOf reads the filter's query parameters.
func filterOf(get func(string) string) Filter {
	return Filter{State: get("state"), Repo: get("repo"), Route: get("route"), Since: get("since"), Search: get("search")}
}

// listProblems reads limit problems after offset of those f selects; more
// says there are others after them.
func (h *handler) listProblems(r *http.Request, f Filter, offset, limit int) ([]alert.Problem, bool, error) {
	sf, err := f.StoreFilter(h.links, h.now())
	if err != nil {
		return nil, false, err
	}
	sf.Limit = offset + limit + 1 // one more, to tell whether there are more
	list, err := h.opts.Store.ListProblems(r.Context(), sf)
	if err != nil {
		return nil, false, err
	}
	list = list[min(offset, len(list)):]
	more := len(list) > limit
	return list[:min(limit, len(list))], more, nil
}

// problemView reads the problem the path names.
func (h *handler) problemView(r *http.Request) (*ProblemView, error) {
	p, err := h.opts.Store.Problem(r.Context(), r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	return ReadProblemView(r.Context(), h.opts.Store, p)
}

// intParam reads a whole number in [lo, hi]; "" is def.
func intParam(s, name string, def, lo, hi int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, &FilterError{Field: name, Value: bounded(s), Want: "a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}
	}
	return n, nil
}

// statusOf maps a read's error to the HTTP status and the message the
// client may see: the one place errors meet status codes.
func statusOf(err error) (int, string) {
	var fe *FilterError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.Error()
	case errors.Is(err, errNoRun):
		return http.StatusNotFound, errNoRun.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "no such problem"
	}
	return http.StatusInternalServerError, "the store could not be read"
}

func (h *handler) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		h.logError(r, "read", err)
	}
	writeJSON(w, status, errorJSON{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
