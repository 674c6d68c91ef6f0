package sentry

import "bytes"

// The one-pass decode. An ordinary payload is decoded by a single
// json.Unmarshal into the types below, which are plain: slices for the
// lists, plain structs for the objects, and no decoder of their own but
// for scalars. encoding/json then validates the body once and decodes it
// once; the streaming types' decoders make it validate each nested list's
// bytes again at every level, which more than doubled the cost of a
// parse. The lists are cut to what an Alert can hold afterwards, by the
// same keepers the streaming decoder uses.
//
// Plain types take only the shapes Sentry sends: breadcrumbs as
// {"values": [...]}, tags as [key, value] pairs. Any other shape, like any
// other type mismatch, sends the body the streaming way, which takes every
// shape; a body the one-pass decode takes without a mismatch, the
// streaming one reads the same.
//
// Each whole type embeds the streaming type it stands for and shadows its
// lists with plain ones: encoding/json decodes into the field nearest the
// top, so the embedded lists stay empty until reduce fills them.

// maxWholeElements is the most list elements a body may hold to be decoded
// in one pass. Each element becomes at most a wholeFrame, 200 bytes, and
// encoding/json grows a long slice a quarter at a time, allocating up to
// five times what it keeps: the one-pass decode of 4,096 empty frames
// allocates 3.3 MB (streaming 330,000 takes 2.3 MB), besides the strings
// it copies, which the body's size bounds. A body with more is
// streamed. Sentry's payloads hold a few hundred.
const maxWholeElements = 4096

// decodeWhole reports whether body is decoded in one pass. Every element
// of a list but the first follows a comma, and every list opens with a
// bracket, so their count bounds the elements, wherever they are (in a
// string or a field booty skips, a comma only counts too many). Counting
// two bytes is cheap next to a decode.
func decodeWhole(body []byte) bool {
	return bytes.Count(body, []byte{','})+bytes.Count(body, []byte{'['}) <= maxWholeElements
}

// wholeEnvelope is an event_alert delivery, decoded in one pass.
type wholeEnvelope struct {
	Action lenientString `json:"action"`
	Data   struct {
		Event         *wholeEvent   `json:"event"`
		TriggeredRule lenientString `json:"triggered_rule"`
	} `json:"data"`
}

// wholeEvent is data.event of an event_alert, decoded in one pass.
type wholeEvent struct {
	event
	Hashes      []lenientString `json:"hashes"`
	Fingerprint []lenientString `json:"fingerprint"`
	Exception   struct {
		Values []wholeException `json:"values"`
	} `json:"exception"`
	Stacktrace  wholeStacktrace `json:"stacktrace"`
	Breadcrumbs struct {
		Values []crumb `json:"values"`
	} `json:"breadcrumbs"`
	Tags [][]lenientString `json:"tags"`
}

type wholeException struct {
	exception
	Stacktrace *wholeStacktrace `json:"stacktrace"`
}

type wholeStacktrace struct {
	Frames []wholeFrame `json:"frames"`
}

type wholeFrame struct {
	frame
	PreContext  []string `json:"pre_context"`
	PostContext []string `json:"post_context"`
}

// reduce returns the event with its lists cut as the streaming decoder
// cuts them.
func (w *wholeEvent) reduce() *event {
	e := &w.event
	for _, h := range w.Hashes {
		if !e.Hashes.keep(h) {
			break
		}
	}
	var parts fingerprintHash
	for _, p := range w.Fingerprint {
		parts.add(p)
	}
	e.Fingerprint = parts.fingerprint()

	var k exceptionKeeper[*wholeException]
	for i := range w.Exception.Values {
		x := &w.Exception.Values[i]
		k.add(x, x.Stacktrace != nil && len(x.Stacktrace.Frames) > 0)
	}
	for _, x := range k.kept() {
		kept := x.exception
		if x.Stacktrace != nil {
			kept.Stacktrace = &stacktrace{Frames: x.Stacktrace.frames()}
		}
		e.Exception.Values = append(e.Exception.Values, kept)
	}
	e.Stacktrace.Frames = w.Stacktrace.frames()

	e.Breadcrumbs = newest(w.Breadcrumbs.Values, maxBreadcrumbs)
	for _, pair := range w.Tags {
		// As tag decodes a pair: two elements, or it is skipped.
		t := tag{}
		if len(pair) == 2 {
			t = tag{Key: string(pair[0]), Value: string(pair[1]), ok: true}
		}
		if !e.Tags.keep(&t) {
			break
		}
	}
	return e
}

// frames returns the frames a frameList keeps, with their context lines
// cut as preContext and postContext cut them.
func (s *wholeStacktrace) frames() frameList {
	var k frameKeeper[*wholeFrame]
	for i := range s.Frames {
		k.add(&s.Frames[i], s.Frames[i].InApp)
	}
	kept := k.kept()
	if len(kept) == 0 {
		return nil
	}
	out := make(frameList, len(kept))
	for i, f := range kept {
		out[i] = f.frame
		out[i].PreContext = newest(f.PreContext, maxContextLines)
		out[i].PostContext = f.PostContext[:min(len(f.PostContext), maxContextLines)]
	}
	return out
}
