package github

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"booty/internal/storm"
)

// DigestShown is how many problems a digest lists one by one; the rest
// are counted.
const DigestShown = 50

// DigestKey is the key of a digest's hidden marker, which finds its issue
// again after a create whose outcome was lost, as a problem's marker does.
func DigestKey(id int64) string { return "storm:" + strconv.FormatInt(id, 10) }

// DigestTitle returns the title of a storm digest listing n problems:
// "Sentry storm: PROJECT/ENVIRONMENT — N new problems", with the release
// when most of them share one.
func (r *Renderer) DigestTitle(s storm.Summary, n int) string {
	where := cleanText(orDefault(s.Project, "unknown project"), maxNameRunes, keepHead) + "/" +
		cleanText(orDefault(s.Environment, "unknown environment"), maxNameRunes, keepHead)
	title := fmt.Sprintf("Sentry storm: %s — %s", where, plural(n, "new problem"))
	if s.Release != "" {
		title += " in " + cleanText(s.Release, maxShortRunes, keepHead)
	}
	return cutRunes(neutralize(title, r.hosts), maxTitleRunes, keepHead)
}

// DigestBody returns the body of digest d listing es (sorted as
// storm.Sort does): a checklist of the first DigestShown, then how many
// more. Every untrusted field is in a code span or a checked link, as in an
// issue body; the body stays under GitHub's limit whatever the entries hold.
func (r *Renderer) DigestBody(d storm.Digest, es []storm.Entry, quiet string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Sentry storm:** %s came in faster than route %s may file issues, "+
		"so booty lists them here instead of filing one issue each.\n\n",
		plural(len(es), "new problem"), code(d.Route, maxNameRunes))
	fmt.Fprintf(&b, "A problem that still fires once the storm has been quiet for %s gets an issue of its own, "+
		"linked from its line below. This digest is for people: it carries no trigger label.\n\n", quiet)
	end := "\n" + Marker(DigestKey(d.ID))
	shown := 0
	for _, e := range es {
		if shown == DigestShown {
			break
		}
		line := r.digestLine(e)
		// Room for the "and N more" line and the marker.
		if b.Len()+len(line)+len(end)+64 > maxBodyBytes {
			break
		}
		b.WriteString(line)
		shown++
	}
	if more := len(es) - shown; more > 0 {
		noun := "problems"
		if more == 1 {
			noun = "problem"
		}
		fmt.Fprintf(&b, "\n…and %d more %s.\n", more, noun)
	}
	b.WriteString(end)
	return b.String()
}

// digestLine is one problem's checklist item: checked once it has an issue
// of its own, which it links.
func (r *Renderer) digestLine(e storm.Entry) string {
	box := "[ ]"
	if e.Issue > 0 {
		box = "[x]"
	}
	title := e.Title
	if utf8.RuneCountInString(title) == 0 {
		title = e.Key
	}
	line := fmt.Sprintf("- %s %s — %s, %s, first seen %s", box, code(title, maxShortRunes),
		orUnknown(code(e.Level, maxNameRunes)), plural(int(e.Count), "event"), formatTime(e.FirstSeen))
	if link := r.sentryLink(e.Link); link != "" {
		line += " — " + link
	}
	if e.Issue > 0 {
		line += " — filed as #" + strconv.Itoa(e.Issue)
	}
	return line + "\n"
}

// PromotedNote is the line that opens the issue of a problem promoted out
// of digest issue number digest once its storm was over.
func PromotedNote(digest int) string {
	return fmt.Sprintf("booty first listed this problem in the storm digest #%d and filed it on its own once the storm was over.\n\n", digest)
}
