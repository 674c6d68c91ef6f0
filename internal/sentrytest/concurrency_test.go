package sentrytest

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	const workers, each = 8, 20
	for i := range workers {
		s.AddIssue(strconv.Itoa(i + 1))
	}
	s.FailNext(5, Status(502))
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			id := strconv.Itoa(i + 1)
			for j := range each {
				body := `{"status":"resolved"}`
				if j%2 == 1 {
					body = `{"status":"unresolved","substatus":"ongoing"}`
				}
				req, err := http.NewRequestWithContext(t.Context(), "PUT", strings.TrimSuffix(s.URL, "/")+s.IssuePath(id), strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+s.Token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				_, _ = s.Issue(id)
				_ = s.Count("PUT", "")
			}
		})
	}
	wg.Wait()
	if got := s.Count("PUT", ""); got != workers*each {
		t.Errorf("%d PUTs recorded, want %d", got, workers*each)
	}
	failed := 0
	for _, r := range s.Requests() {
		if r.Status == 502 {
			failed++
		}
	}
	if failed != 5 {
		t.Errorf("%d requests failed with 502, want the 5 queued", failed)
	}
	for i := range workers {
		// Each worker's last change was an unresolve.
		if is, _ := s.Issue(strconv.Itoa(i + 1)); is.Status != "unresolved" {
			t.Errorf("issue %d is %+v, want unresolved", i+1, is)
		}
	}
}
