package proctest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"booty/internal/proctest"
)

func TestJobStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     map[string]int
		wantErr  error
		anyError bool
	}{
		{
			name: "booty's exposition",
			in: "# HELP booty_jobs GitHub jobs by state.\n# TYPE booty_jobs gauge\n" +
				"booty_jobs{state=\"available\"} 2\nbooty_jobs{state=\"running\"} 1\nbooty_jobs{state=\"parked\"} 0\n" +
				"# TYPE go_goroutines gauge\ngo_goroutines 12\n",
			want: map[string]int{"available": 2, "running": 1, "parked": 0},
		},
		{name: "gauge missing", in: "# TYPE go_goroutines gauge\ngo_goroutines 12\n", wantErr: proctest.ErrNoJobsMetric},
		{name: "empty", in: "", wantErr: proctest.ErrNoJobsMetric},
		{name: "not an exposition", in: "<html>502 Bad Gateway</html>\n", anyError: true},
		{name: "no state label", in: "# TYPE booty_jobs gauge\nbooty_jobs 3\n", anyError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := proctest.JobStates(strings.NewReader(tt.in))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
			case tt.anyError:
				if err == nil {
					t.Fatalf("got %v and no error", got)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
			}
		})
	}
}

func TestPending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		states map[string]int
		want   int
	}{
		{"idle", map[string]int{"completed": 40, "parked": 2}, 0},
		{"each pending state counts", map[string]int{"available": 1, "scheduled": 2, "running": 3, "retrying": 4, "pending": 5, "completed": 9}, 15},
		{"nothing known", map[string]int{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := proctest.Pending(tt.states); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// FuzzJobStates: /metrics is another process's output; the parser must
// answer with counts or an error, never panic, and never report counts
// without the gauge.
func FuzzJobStates(f *testing.F) {
	f.Add("# TYPE booty_jobs gauge\nbooty_jobs{state=\"available\"} 2\n")
	f.Add("booty_jobs{state=\"running\"} 1e308\n")
	f.Add("# TYPE booty_jobs counter\nbooty_jobs{state=\"x\"} -1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		states, err := proctest.JobStates(strings.NewReader(in))
		if err == nil && len(states) == 0 {
			t.Fatalf("no error and no states for %q", in)
		}
	})
}
