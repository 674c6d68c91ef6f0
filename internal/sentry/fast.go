package sentry

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The fast decode. An ordinary event alert is read by hand, in one pass
// over its bytes, into exactly the wholeEnvelope that json.Unmarshal would
// build: encoding/json validates a body in a pass of its own before it
// decodes it, and finds each field by reflection, which made the parse
// cost more than the rest of a delivery. Everything booty skips is still
// validated, byte by byte, as JSON.
//
// It decodes only what is plainly what Sentry sends and leaves the rest to
// encoding/json: anything it is not sure of (a key given twice, a key that
// differs from a field's name only in case or holds an escape or a
// non-ASCII byte, a type mismatch, a number an int cannot hold, nesting
// past maxFastDepth, anything that is not JSON) makes it give up, and the
// body is decoded as before. Giving up is never wrong, only slower; a test
// and a fuzz target hold every body it does decode to json.Unmarshal's
// result.

// maxFastDepth is the deepest nesting the fast decode reads; deeper bodies
// are left to encoding/json (which allows 10,000).
const maxFastDepth = 512

// decodeFast decodes body as json.Unmarshal decodes it into a
// wholeEnvelope, and reports whether it could.
func decodeFast(body []byte) (env wholeEnvelope, ok bool) {
	d := fastDecoder{b: body, s: string(body)}
	d.ws()
	ok = d.envelope(&env)
	d.ws()
	return env, ok && d.i == len(d.b)
}

// fastDecoder reads a JSON body from b[i:].
type fastDecoder struct {
	b []byte
	// s is b as a string, made once: the text of a plain string or a
	// number is a piece of it rather than a copy of its own, one
	// allocation for the body rather than one for every field.
	s     string
	i     int
	depth int
}

func (d *fastDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte, 0 at the end.
func (d *fastDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// consume skips whitespace and then c, and reports whether c was there.
func (d *fastDecoder) consume(c byte) bool {
	d.ws()
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// object reads an object whose keys are among names (a struct's fields),
// calling field with the index in names of each; other keys' values are
// skipped. The cursor is at the value, whitespace skipped. A null leaves
// the struct as it is, as encoding/json does.
func (d *fastDecoder) object(names []string, field func(k int) bool) bool {
	if d.null() {
		return true
	}
	if d.peek() != '{' {
		return false
	}
	if d.depth++; d.depth > maxFastDepth {
		return false
	}
	d.i++
	var seen uint64
	if d.consume('}') {
		d.depth--
		return true
	}
	for {
		d.ws()
		start, end, plain, ok := d.str()
		if !ok || !d.consume(':') {
			return false
		}
		d.ws()
		k := lookup(d.b[start:end], names)
		switch {
		case k >= 0:
			if seen&(1<<k) != 0 {
				return false // given twice: encoding/json merges
			}
			seen |= 1 << k
			if !field(k) {
				return false
			}
		case !plain || !unknownKey(d.b[start:end], names):
			return false
		default:
			if !d.skip() {
				return false
			}
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return true
		default:
			return false
		}
	}
}

// lookup returns the index of key in names, -1 when absent.
func lookup(key []byte, names []string) int {
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	return -1
}

// unknownKey reports whether key surely names none of names: it is ASCII
// and no name equals it without regard to case (encoding/json matches
// field names that way, Unicode folding included).
func unknownKey(key []byte, names []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, n := range names {
		if len(n) == len(key) && asciiEqualFold(key, n) {
			return false
		}
	}
	return true
}

func asciiEqualFold(a []byte, b string) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// array reads an array, calling elem at each element (cursor on it,
// whitespace skipped). A null is reported by isNull, and reads nothing.
func (d *fastDecoder) array(elem func() bool) (isNull, ok bool) {
	if d.null() {
		return true, true
	}
	if d.peek() != '[' {
		return false, false
	}
	if d.depth++; d.depth > maxFastDepth {
		return false, false
	}
	d.i++
	if d.consume(']') {
		d.depth--
		return false, true
	}
	for {
		d.ws()
		if !elem() {
			return false, false
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return false, true
		default:
			return false, false
		}
	}
}

// null reads a null if one is next.
func (d *fastDecoder) null() bool {
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// skip reads any value, validating it.
func (d *fastDecoder) skip() bool {
	switch c := d.peek(); {
	case c == '{':
		if d.depth++; d.depth > maxFastDepth {
			return false
		}
		d.i++
		if d.consume('}') {
			d.depth--
			return true
		}
		for {
			d.ws()
			if _, _, _, ok := d.str(); !ok || !d.consume(':') {
				return false
			}
			d.ws()
			if !d.skip() {
				return false
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				d.depth--
				return true
			default:
				return false
			}
		}
	case c == '[':
		_, ok := d.array(d.skip)
		return ok
	case c == '"':
		_, _, _, ok := d.str()
		return ok
	case c == '-' || '0' <= c && c <= '9':
		_, ok := d.number()
		return ok
	case c == 't':
		return d.word("true")
	case c == 'f':
		return d.word("false")
	case c == 'n':
		return d.null()
	}
	return false
}

func (d *fastDecoder) word(w string) bool {
	if len(d.b)-d.i >= len(w) && string(d.b[d.i:d.i+len(w)]) == w {
		d.i += len(w)
		return true
	}
	return false
}

// str reads a string literal, validating it, and returns where its text
// lies (quotes excluded) and whether it is plain: no escape, valid UTF-8.
func (d *fastDecoder) str() (start, end int, plain, ok bool) {
	if d.peek() != '"' {
		return 0, 0, false, false
	}
	d.i++
	start = d.i
	escaped, high := false, false
	for {
		// Most of a string is plain ASCII: run over it a word at a time.
		for d.i+8 <= len(d.b) && !special(binary.LittleEndian.Uint64(d.b[d.i:])) {
			d.i += 8
		}
		if d.i >= len(d.b) {
			return 0, 0, false, false
		}
		switch c := d.b[d.i]; {
		case c == '"':
			end = d.i
			d.i++
			plain = !escaped && (!high || utf8.Valid(d.b[start:end]))
			return start, end, plain, true
		case c == '\\':
			escaped = true
			d.i++
			switch d.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				d.i++
				for range 4 {
					if !isHex(d.peek()) {
						return 0, 0, false, false
					}
					d.i++
				}
			default:
				return 0, 0, false, false
			}
		case c < 0x20:
			return 0, 0, false, false
		case c >= utf8.RuneSelf:
			high = true
			d.i++
		default:
			d.i++
		}
	}
}

// Masks of a byte repeated in each byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special reports whether any byte of the word w (eight bytes of a string
// literal) is other than plain ASCII: a quote, a backslash, a control
// character or a byte of a multi-byte character.
func special(w uint64) bool {
	quote := w ^ ('"' * ones)
	backslash := w ^ ('\\' * ones)
	return (w|
		(w-0x20*ones)&^w| // a byte below 0x20 (or one of 0x80 up, which w itself has)
		(quote-ones)&^quote| // a zero byte: a quote
		(backslash-ones)&^backslash)&highs != 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads a number literal, validating it against JSON's grammar, and
// returns its text.
func (d *fastDecoder) number() ([]byte, bool) {
	start := d.i
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case '1' <= c && c <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.peek() == '.' {
		d.i++
		if !d.digits() {
			return nil, false
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !d.digits() {
			return nil, false
		}
	}
	return d.b[start:d.i], true
}

// digits reads one or more digits.
func (d *fastDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// text reads a string into a string field: null leaves it, anything else
// but a string is a mismatch.
func (d *fastDecoder) text(s *string) bool {
	if d.null() {
		return true
	}
	start, end, plain, ok := d.str()
	if !ok {
		return false
	}
	if plain {
		*s = d.s[start:end]
	} else {
		*s = unquote(d.b[start-1 : end+1])
	}
	return true
}

// lenient reads any value into a lenientString, as its UnmarshalJSON
// does.
func (d *fastDecoder) lenient(s *lenientString) bool {
	switch c := d.peek(); {
	case c == '"':
		var t string
		if !d.text(&t) {
			return false
		}
		*s = lenientString(t)
		return true
	case c == '-' || '0' <= c && c <= '9':
		start := d.i
		_, ok := d.number()
		*s = lenientString(d.s[start:d.i])
		return ok
	case c == 'n':
		return d.null()
	}
	*s = ""
	return d.skip()
}

// time reads any value into a lenientTime, as its UnmarshalJSON does.
func (d *fastDecoder) time(t *lenientTime) bool {
	switch c := d.peek(); {
	case c == '"':
		var s string
		if !d.text(&s) {
			return false
		}
		t.t = parseTime(s)
		return true
	case c == '-' || '0' <= c && c <= '9':
		lit, ok := d.number()
		if ok {
			t.t = parseEpoch(string(lit))
		}
		return ok
	}
	return d.skip()
}

// integer reads a number into an int field; one with a fraction or an
// exponent, or too large, is a mismatch.
func (d *fastDecoder) integer(n *int) bool {
	if d.null() {
		return true
	}
	lit, ok := d.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*n = int(v)
	return true
}

func (d *fastDecoder) boolean(b *bool) bool {
	switch {
	case d.null():
		return true
	case d.word("true"):
		*b = true
		return true
	case d.word("false"):
		*b = false
		return true
	}
	return false
}

// raw reads any value into a json.RawMessage, which keeps its text (a null
// too).
func (d *fastDecoder) raw(m *json.RawMessage) bool {
	start := d.i
	if !d.skip() {
		return false
	}
	*m = append(json.RawMessage(nil), d.b[start:d.i]...)
	return true
}

// texts reads a list of strings; null is a nil list, and so is an
// element's null an empty string.
func (d *fastDecoder) texts(list *[]string) bool {
	out := []string{}
	isNull, ok := d.array(func() bool {
		var s string
		if !d.text(&s) {
			return false
		}
		out = append(out, s)
		return true
	})
	if ok {
		*list = out
		if isNull {
			*list = nil
		}
	}
	return ok
}

// lenients reads a list of lenient strings.
func (d *fastDecoder) lenients(list *[]lenientString) bool {
	out := []lenientString{}
	isNull, ok := d.array(func() bool {
		var s lenientString
		if !d.lenient(&s) {
			return false
		}
		out = append(out, s)
		return true
	})
	if ok {
		*list = out
		if isNull {
			*list = nil
		}
	}
	return ok
}

var envelopeFields = []string{"action", "data"}

func (d *fastDecoder) envelope(env *wholeEnvelope) bool {
	return d.object(envelopeFields, func(k int) bool {
		if k == 0 {
			return d.lenient(&env.Action)
		}
		return d.object(dataFields, func(k int) bool {
			if k == 1 {
				return d.lenient(&env.Data.TriggeredRule)
			}
			if d.null() {
				env.Data.Event = nil
				return true
			}
			if d.peek() != '{' {
				return false
			}
			env.Data.Event = new(wholeEvent)
			return d.event(env.Data.Event)
		})
	})
}

var dataFields = []string{"event", "triggered_rule"}

var eventFields = []string{
	"event_id", "issue_id", "project", "url", "web_url", "level", "title", "culprit", "platform",
	"environment", "release", "timestamp", "datetime", "metadata",
	"hashes", "fingerprint", "exception", "stacktrace", "breadcrumbs", "tags",
}

func (d *fastDecoder) event(e *wholeEvent) bool {
	return d.object(eventFields, func(k int) bool {
		switch k {
		case 0:
			return d.lenient(&e.EventID)
		case 1:
			return d.lenient(&e.IssueID)
		case 2:
			return d.lenient(&e.Project)
		case 3:
			return d.text(&e.URL)
		case 4:
			return d.text(&e.WebURL)
		case 5:
			return d.lenient(&e.Level)
		case 6:
			return d.text(&e.Title)
		case 7:
			return d.text(&e.Culprit)
		case 8:
			return d.text(&e.Platform)
		case 9:
			return d.lenient(&e.Environment)
		case 10:
			return d.lenient(&e.Release)
		case 11:
			return d.time(&e.Timestamp)
		case 12:
			return d.time(&e.Datetime)
		case 13:
			return d.object(typeValueFields, func(k int) bool {
				if k == 0 {
					return d.text(&e.Metadata.Type)
				}
				return d.text(&e.Metadata.Value)
			})
		case 14:
			return d.lenients(&e.Hashes)
		case 15:
			return d.lenients(&e.Fingerprint)
		case 16:
			return d.object(valuesFields, func(int) bool { return d.exceptions(&e.Exception.Values) })
		case 17:
			return d.stacktrace(&e.Stacktrace)
		case 18:
			return d.object(valuesFields, func(int) bool { return d.crumbs(&e.Breadcrumbs.Values) })
		default:
			return d.tags(&e.Tags)
		}
	})
}

var (
	typeValueFields = []string{"type", "value"}
	valuesFields    = []string{"values"}
	exceptionFields = []string{"type", "value", "stacktrace"}
	framesFields    = []string{"frames"}
)

func (d *fastDecoder) exceptions(list *[]wholeException) bool {
	out := []wholeException{}
	isNull, ok := d.array(func() bool {
		var x wholeException
		ok := d.object(exceptionFields, func(k int) bool {
			switch k {
			case 0:
				return d.text(&x.Type)
			case 1:
				return d.text(&x.Value)
			}
			if d.null() {
				x.Stacktrace = nil
				return true
			}
			if d.peek() != '{' {
				return false
			}
			x.Stacktrace = new(wholeStacktrace)
			return d.stacktrace(x.Stacktrace)
		})
		out = append(out, x)
		return ok
	})
	if ok {
		*list = out
		if isNull {
			*list = nil
		}
	}
	return ok
}

func (d *fastDecoder) stacktrace(s *wholeStacktrace) bool {
	return d.object(framesFields, func(int) bool { return d.frames(&s.Frames) })
}

var frameFields = []string{
	"filename", "abs_path", "module", "function", "lineno", "colno", "in_app", "context_line",
	"pre_context", "post_context",
}

func (d *fastDecoder) frames(list *[]wholeFrame) bool {
	out := []wholeFrame{}
	isNull, ok := d.array(func() bool {
		var f wholeFrame
		ok := d.object(frameFields, func(k int) bool {
			switch k {
			case 0:
				return d.text(&f.Filename)
			case 1:
				return d.text(&f.AbsPath)
			case 2:
				return d.text(&f.Module)
			case 3:
				return d.text(&f.Function)
			case 4:
				return d.integer(&f.Lineno)
			case 5:
				return d.integer(&f.Colno)
			case 6:
				return d.boolean(&f.InApp)
			case 7:
				return d.text(&f.ContextLine)
			case 8:
				return d.texts(&f.PreContext)
			default:
				return d.texts(&f.PostContext)
			}
		})
		out = append(out, f)
		return ok
	})
	if ok {
		*list = out
		if isNull {
			*list = nil
		}
	}
	return ok
}

var crumbFields = []string{"timestamp", "type", "category", "level", "message", "data"}

func (d *fastDecoder) crumbs(list *[]crumb) bool {
	out := []crumb{}
	isNull, ok := d.array(func() bool {
		var c crumb
		ok := d.object(crumbFields, func(k int) bool {
			switch k {
			case 0:
				return d.time(&c.Timestamp)
			case 1:
				return d.text(&c.Type)
			case 2:
				return d.text(&c.Category)
			case 3:
				return d.lenient(&c.Level)
			case 4:
				return d.text(&c.Message)
			default:
				return d.raw(&c.Data)
			}
		})
		out = append(out, c)
		return ok
	})
	if ok {
		*list = out
		if isNull {
			*list = nil
		}
	}
	return ok
}

func (d *fastDecoder) tags(list *[][]lenientString) bool {
	out := [][]lenientString{}
	isNull, ok := d.array(func() bool {
		var pair []lenientString
		ok := d.lenients(&pair)
		out = append(out, pair)
		return ok
	})
	if ok {
		*list = out
		if isNull {
			*list = nil
		}
	}
	return ok
}
