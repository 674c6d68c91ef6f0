package route

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"booty/internal/alert"
)

// maxLabel is GitHub's limit on a label's name, in characters.
const maxLabel = 50

// placeholders are the values a label can take from the alert.
var placeholders = map[string]func(a *alert.Alert) string{
	"level":       func(a *alert.Alert) string { return a.Level.String() },
	"environment": func(a *alert.Alert) string { return a.Environment },
	"project":     func(a *alert.Alert) string { return a.Project },
}

// template is a label as written, split into literal text and placeholders.
type template []part

type part struct {
	text        string // literal text, when placeholder is ""
	placeholder string
}

// parseTemplate splits a label into text and {{placeholders}}. The label
// must be what GitHub accepts once expanded: not empty, no control
// characters and no commas (GitHub allows them, but its search and most
// tools split label lists on commas), and its own text within GitHub's 50
// characters.
func parseTemplate(s string) (template, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty label")
	}
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return nil, errors.New("the label is not valid UTF-8")
		case unsafeRune(r):
			return nil, fmt.Errorf("the label holds the control character %U", r)
		case r == ',':
			return nil, errors.New("the label holds a comma, which GitHub's search and most tools take for a list of labels")
		}
	}
	var t template
	text := 0
	rest := s
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t = append(t, part{text: rest})
			text += utf8.RuneCountInString(rest)
			break
		}
		if i > 0 {
			t = append(t, part{text: rest[:i]})
			text += utf8.RuneCountInString(rest[:i])
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%s opens {{ but never closes it with }}", quote(s))
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		if _, ok := placeholders[name]; !ok {
			return nil, fmt.Errorf("unknown placeholder {{%s}}%s: a label can use {{level}}, {{environment}} and {{project}}",
				clipRunes(name, 40), suggest(name, placeholderNames))
		}
		t = append(t, part{placeholder: name})
		rest = rest[i+j+2:]
	}
	if text > maxLabel {
		return nil, fmt.Errorf("the label is %d characters long; GitHub allows %d", text, maxLabel)
	}
	return t, nil
}

var placeholderNames = []string{"level", "environment", "project"}

// expand fills in t for a. The values come from the payload and are
// untrusted: control and invisible formatting characters are removed,
// commas and runs of white space become one space, and the label is cut to
// GitHub's 50 characters. ok is false when a placeholder expands to nothing
// (an event without an environment): the label is then left off rather than
// filed as "env:".
func (t template) expand(a *alert.Alert) (label string, ok bool) {
	var b strings.Builder
	for _, p := range t {
		if p.placeholder == "" {
			b.WriteString(p.text)
			continue
		}
		v := cleanValue(placeholders[p.placeholder](a))
		if v == "" {
			return "", false
		}
		b.WriteString(v)
	}
	label = strings.TrimSpace(b.String())
	if r := []rune(label); len(r) > maxLabel {
		label = strings.TrimSpace(string(r[:maxLabel]))
	}
	return label, label != ""
}

// cleanValue makes a value from the alert fit for a label.
func cleanValue(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == ',' || unicode.IsSpace(r):
			space = true
			continue
		case r == utf8.RuneError || unsafeRune(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		if b.Len() > 4*maxLabel {
			break
		}
	}
	return b.String()
}

// unsafeRune reports control characters, line and paragraph separators and
// invisible formatting characters (bidirectional overrides, zero-width
// joiners), which have no place in a label.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

func (t template) String() string {
	var b strings.Builder
	for _, p := range t {
		if p.placeholder != "" {
			b.WriteString("{{" + p.placeholder + "}}")
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}
