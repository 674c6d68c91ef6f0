package sentry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
)

// emptyFramesBody returns a signed-size event alert whose stack holds n
// empty frames, the body that took booty to 2.8 GB sixteen at a time.
func emptyFramesBody(tb testing.TB, n int) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(`{"action":"triggered","data":{"event":{"issue_id":"1","level":"error","exception":{"values":[{"type":"E","stacktrace":{"frames":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("{}")
	}
	b.WriteString(`]}}]}}}}`)
	return b.Bytes()
}

// listBody returns an event alert with data.event[field] set to raw.
func listBody(field, raw string) []byte {
	return []byte(`{"action":"triggered","data":{"event":{"project":7,"level":"error",` +
		`"` + field + `":` + raw + `}}}`)
}

// repeat returns n copies of elem, comma-separated, in brackets; elem may
// use %d for the index.
func repeat(n int, elem string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.Contains(elem, "%d") {
			fmt.Fprintf(&b, elem, i)
		} else {
			b.WriteString(elem)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// TestParseKeepsWhatRenderingNeeds sends lists long enough to be streamed
// and checks that what an issue shows survives.
func TestParseKeepsWhatRenderingNeeds(t *testing.T) {
	t.Parallel()
	t.Run("crash frame beyond the newest frames", func(t *testing.T) {
		t.Parallel()
		frames := `{"function":"crash","in_app":true,"lineno":7}` + strings.TrimSuffix(strings.TrimPrefix(repeat(2000, `,{"function":"lib%d"}`), "["), "]")
		body := listBody("stacktrace", `{"frames":[`+strings.ReplaceAll(frames, ",,", ",")+`]}`)
		body = append([]byte(`{"action":"triggered","data":{"event":{"issue_id":"1",`), body[len(`{"action":"triggered","data":{"event":{`):]...)
		a := mustParse(t, body)
		if len(a.Frames) != maxFrames {
			t.Fatalf("got %d frames, want %d", len(a.Frames), maxFrames)
		}
		f, ok := a.CrashFrame()
		if !ok || f.Function != "crash" || f.Lineno != 7 {
			t.Errorf("crash frame: got %+v, want the in-app frame crash:7", f)
		}
		if last := a.Frames[len(a.Frames)-1].Function; last != "lib1999" {
			t.Errorf("newest frame: got %q, want the last one sent", last)
		}
	})
	t.Run("newest breadcrumbs, in order", func(t *testing.T) {
		t.Parallel()
		a := mustParse(t, listBody("breadcrumbs", `{"values":`+repeat(2001, `{"message":"m%d"}`)+`}`+`,"issue_id":"1"`))
		if len(a.Breadcrumbs) != maxBreadcrumbs || a.Breadcrumbs[0].Message != fmt.Sprintf("m%d", 2001-maxBreadcrumbs) ||
			a.Breadcrumbs[maxBreadcrumbs-1].Message != "m2000" {
			t.Errorf("got %d breadcrumbs from %q to %q, want the newest %d", len(a.Breadcrumbs),
				a.Breadcrumbs[0].Message, a.Breadcrumbs[len(a.Breadcrumbs)-1].Message, maxBreadcrumbs)
		}
	})
	t.Run("first tags", func(t *testing.T) {
		t.Parallel()
		a := mustParse(t, listBody("tags", repeat(3000, `["k%d","v"]`)+`,"issue_id":"1"`))
		if len(a.Tags) != maxTags || a.Tags[0].Key != "k0" || a.Tags[maxTags-1].Key != fmt.Sprintf("k%d", maxTags-1) {
			t.Errorf("got %d tags, first %q, want the first %d", len(a.Tags), a.Tags[0].Key, maxTags)
		}
	})
	t.Run("last exception, frames of the last with frames", func(t *testing.T) {
		t.Parallel()
		a := mustParse(t, listBody("exception", `{"values":[{"type":"A","stacktrace":{"frames":[{"function":"f","in_app":true}]}},`+
			strings.Trim(repeat(3000, `{"type":"X%d"}`), "[]")+`]}`+`,"issue_id":"1"`))
		if a.ExceptionType != "X2999" || len(a.Frames) != 1 || a.Frames[0].Function != "f" {
			t.Errorf("got type %q and %d frames, want X2999 with A's frame", a.ExceptionType, len(a.Frames))
		}
	})
	t.Run("context lines nearest the line", func(t *testing.T) {
		t.Parallel()
		lines := repeat(5000, `"l%d"`)
		a := mustParse(t, listBody("stacktrace", `{"frames":[{"pre_context":`+lines+`,"post_context":`+lines+`}]}`+`,"issue_id":"1"`))
		f := a.Frames[0]
		if len(f.PreContext) != maxContextLines || f.PreContext[maxContextLines-1] != "l4999" ||
			len(f.PostContext) != maxContextLines || f.PostContext[0] != "l0" {
			t.Errorf("got pre %q post %q, want the last and first %d lines", f.PreContext, f.PostContext, maxContextLines)
		}
	})
	t.Run("first hash after blanks", func(t *testing.T) {
		t.Parallel()
		a := mustParse(t, listBody("hashes", strings.TrimSuffix(repeat(10000, `""`), "]")+`,"abc","def"]`))
		if a.ProblemKey != "sentry:7:abc" {
			t.Errorf("got key %q, want sentry:7:abc", a.ProblemKey)
		}
	})
	t.Run("long fingerprint hashed whole", func(t *testing.T) {
		t.Parallel()
		a := mustParse(t, listBody("fingerprint", repeat(5000, `"p%d"`)))
		parts := make([]string, 5000)
		for i := range parts {
			parts[i] = fmt.Sprintf("p%d", i)
		}
		if want := "sentry:7:" + hashPart(strings.Join(parts, "\n")); a.ProblemKey != want {
			t.Errorf("got key %q, want %q", a.ProblemKey, want)
		}
	})
}

func mustParse(t *testing.T, body []byte) *alert.Alert {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("test body is not JSON: %.200s", body)
	}
	d, err := Parse("event_alert", body)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if d.Alert == nil {
		t.Fatalf("Parse ignored the alert: %q", d.Ignore)
	}
	return d.Alert
}

// TestParseMemoryBound parses the 1 MB body of 330,000 empty frames and
// checks what it allocated in all: a decoder that builds every frame
// allocates over 100 MB for it.
// parseAllocs parses body, a body of empty frames, checks that it keeps
// maxFrames of them, and returns the bytes the parse allocated.
func parseAllocs(t *testing.T, body []byte) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := Parse("event_alert", body)
	runtime.ReadMemStats(&after)
	if err != nil || d.Alert == nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(d.Alert.Frames) != maxFrames {
		t.Errorf("got %d frames, want %d", len(d.Alert.Frames), maxFrames)
	}
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("Parse allocated %d KB in all", got>>10)
	return got
}

func TestParseMemoryBound(t *testing.T) {
	body := emptyFramesBody(t, 330_000)
	if len(body) > 1<<20 {
		t.Fatalf("body is %d bytes, want at most the 1 MiB limit", len(body))
	}
	const bound = 16 << 20
	got := parseAllocs(t, body)
	if got > bound {
		t.Errorf("Parse allocated %d MB for a 1 MB body, want under %d MB", got>>20, bound>>20)
	}
}

// sliceEvent is data.event as the decoder before streaming read it: every
// list built in full, then cut. It is kept here as the yardstick of
// BenchmarkParseHostileFrames.
type sliceEvent struct {
	EventID     lenientString   `json:"event_id"`
	IssueID     lenientString   `json:"issue_id"`
	Level       lenientString   `json:"level"`
	Hashes      []lenientString `json:"hashes"`
	Fingerprint []lenientString `json:"fingerprint"`
	Exception   struct {
		Values []struct {
			Type       string `json:"type"`
			Value      string `json:"value"`
			Stacktrace *struct {
				Frames []sliceFrame `json:"frames"`
			} `json:"stacktrace"`
		} `json:"values"`
	} `json:"exception"`
	Breadcrumbs struct {
		Values []crumb `json:"values"`
	} `json:"breadcrumbs"`
	Tags [][]string `json:"tags"`
}

type sliceFrame struct {
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
}

// BenchmarkParseHostileFrames parses the 1 MB body of 330,000 empty frames
// with booty's streaming decoder and, in the same run, with the decoder
// that builds every frame (compare B/op: the allocation bound).
func BenchmarkParseHostileFrames(b *testing.B) {
	body := emptyFramesBody(b, 330_000)
	b.Run("streaming", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			d, err := Parse("event_alert", body)
			if err != nil || len(d.Alert.Frames) != maxFrames {
				b.Fatalf("Parse: %v", err)
			}
		}
	})
	b.Run("build-all", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var env struct {
				Data struct {
					Event *sliceEvent `json:"event"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
			if n := len(env.Data.Event.Exception.Values[0].Stacktrace.Frames); n != 330_000 {
				b.Fatalf("got %d frames", n)
			}
		}
	})
}

// TestStreamingMatchesWhole decodes each list of the real event alerts,
// and some odd ones, as sent and padded past smallList, so that one is
// decoded whole and the other streamed: the results must be equal.
func TestStreamingMatchesWhole(t *testing.T) {
	t.Parallel()
	type list struct {
		name string
		raw  string
	}
	var lists []list
	for _, name := range []string{docsFixture, vueFixture} {
		var m struct {
			Data struct {
				Event map[string]json.RawMessage `json:"event"`
			} `json:"data"`
		}
		if err := json.Unmarshal(fixture(t, name), &m); err != nil {
			t.Fatal(err)
		}
		ev := m.Data.Event
		var exc struct {
			Values []struct {
				Stacktrace struct {
					Frames []map[string]json.RawMessage `json:"frames"`
				} `json:"stacktrace"`
			} `json:"values"`
		}
		_ = json.Unmarshal(ev["exception"], &exc)
		var crumbs struct {
			Values json.RawMessage `json:"values"`
		}
		_ = json.Unmarshal(ev["breadcrumbs"], &crumbs)
		lists = append(lists, list{name + " tags", string(ev["tags"])}, list{name + " hashes", string(ev["hashes"])},
			list{name + " fingerprint", string(ev["fingerprint"])}, list{name + " breadcrumbs", string(crumbs.Values)})
		for _, v := range exc.Values {
			frames, _ := json.Marshal(v.Stacktrace.Frames)
			lists = append(lists, list{name + " frames", string(frames)})
			for _, f := range v.Stacktrace.Frames {
				if pre, ok := f["pre_context"]; ok {
					lists = append(lists, list{name + " context", string(pre)})
				}
			}
		}
	}
	lists = append(lists,
		list{"mixed shapes", `[{"in_app":"yes","lineno":3},"x",null,{"function":"f","pre_context":["a",1,null]}]`},
		list{"tags of every shape", `[["k","v"],{"key":"a","value":1},["only"],7,["", "empty key"]]`},
		list{"empty", `[]`},
	)

	for _, l := range lists {
		if len(l.raw) == 0 || l.raw[0] != '[' {
			continue
		}
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			checkStreaming(t, []byte(l.raw))
		})
	}
}

// checkStreaming decodes raw, a JSON array, with every streamed list type,
// as sent and padded past smallList, and fails on any difference.
func checkStreaming(t *testing.T, raw []byte) {
	t.Helper()
	padded := append([]byte("["+strings.Repeat(" ", smallList)), raw[1:]...)
	if diff := cmp.Diff(decodeLists(t, raw), decodeLists(t, padded),
		cmp.AllowUnexported(tag{}, lenientTime{})); diff != "" {
		t.Errorf("whole vs streamed (-whole +streamed):\n%s", diff)
	}
}

// decodeLists decodes raw with every streamed list type.
func decodeLists(t *testing.T, raw []byte) []any {
	t.Helper()
	var (
		fr  frameList
		cr  breadcrumbs
		tg  tagList
		hs  hashList
		fp  fingerprint
		pre preContext
		pos postContext
		exc exceptionList
	)
	for _, v := range []json.Unmarshaler{&fr, &cr, &tg, &hs, &fp, &pre, &pos, &exc} {
		if err := v.UnmarshalJSON(raw); err != nil {
			t.Fatalf("UnmarshalJSON: %v", err)
		}
	}
	return []any{fr, cr, tg, hs, fp.sum, pre, pos, exc}
}

// FuzzStreamingMatchesWhole checks, for any JSON array, that streaming a
// list keeps exactly what decoding it whole keeps.
func FuzzStreamingMatchesWhole(f *testing.F) {
	f.Add([]byte(`[{"in_app":true,"lineno":3},"x",null,{"pre_context":["a",1]}]`))
	f.Add([]byte(`[["k","v"],{"key":"a","value":1},["only"],7]`))
	f.Add([]byte(`[{"values":[{"message":"m"}]},{"type":"E","stacktrace":{"frames":[{}]}}]`))
	f.Add([]byte(`["", " ", "abc", 12, "{{ default }}"]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '[' || !json.Valid(raw) {
			t.Skip()
		}
		checkStreaming(t, raw)
	})
}

// TestParseNestedBreadcrumbs sends breadcrumbs whose values are the object
// shape again, nested thousands deep: read as breadcrumbs at every level,
// each level validated all the levels inside it again, 6 s of CPU for a
// 100 KB body. Only {"values": [...]} is read.
func TestParseNestedBreadcrumbs(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{2, 9000} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			t.Parallel()
			crumbs := strings.Repeat(`{"values":`, depth) + `[{"message":"m"}]` + strings.Repeat(`}`, depth)
			a := mustParse(t, listBody("breadcrumbs", crumbs+`,"issue_id":"1"`))
			if len(a.Breadcrumbs) != 0 {
				t.Errorf("got %d breadcrumbs, want none from values that are not a list", len(a.Breadcrumbs))
			}
		})
	}
}
