package github

import (
	"strconv"
	"strings"

	"booty/internal/alert"
	"booty/internal/route"
)

// An issue body points at the code when it can: the release, when it is a
// commit, links to that commit; an in-app frame that one of its route's
// code mappings matches shows its path in the repository, and links to the
// file at the release's commit. Every part of a link comes from booty's
// configuration or passes a strict check: the web host and the repository
// are configured, the commit is hex digits, and the path is made of the
// frame's segments, each percent-encoded byte by byte but for [A-Za-z0-9._-],
// with no ".." among them and no scheme or host of the frame's own. So a
// link can only open a file of the problem's repository and can never end
// its markdown early. A frame whose path fails a check renders as it did
// before code mappings.

// maxLinkBytes bounds a link to a file; a longer one is left out and its
// path shown unlinked.
const maxLinkBytes = 2048

// codeLinks is how one issue's body points at the code.
type codeLinks struct {
	// repoURL is the repository's web URL, "https://github.com/OWNER/REPO";
	// "" when booty does not know it, and then nothing is linked.
	repoURL string
	// commit is the release's commit, lower-case hex; "" when the release
	// names none.
	commit   string
	mappings []route.CodeMapping
}

// codeLinks returns how the body of problem p, whose latest alert is a,
// points at the code: into the problem's repository (else the default
// one), with the code mappings of the route the problem took.
func (r *Renderer) codeLinks(a *alert.Alert, p alert.Problem) codeLinks {
	var c codeLinks
	repo := p.Repo
	if repo == "" {
		repo = r.defaultRepo
	}
	if r.webURL != "" && validRepo(repo) {
		c.repoURL = r.webURL + "/" + repo
	}
	c.commit, _ = ReleaseCommit(a.Release)
	if rt := r.routeOf(p); rt != nil {
		c.mappings = rt.CodeMappings
	}
	return c
}

// routeOf returns the route problem p took, or nil. A problem stored before
// booty had routes names none: it belongs to the route booty builds
// without a routes file, when that is the table in use.
func (r *Renderer) routeOf(p alert.Problem) *route.Route {
	if r.routes == nil {
		return nil
	}
	if p.Route == "" {
		if len(r.routes.Routes) == 1 && r.routes.Routes[0].Line == 0 {
			return r.routes.Routes[0]
		}
		return nil
	}
	return r.routes.Lookup(p.Route)
}

// ReleaseCommit returns the commit a Sentry release names, in lower case,
// and whether it names one. A release names a commit when it is, or ends
// after its last '@' in (Sentry's common "name@version" form, such as
// "frontend@3f2a9c1"), a hexadecimal SHA: 40 hex digits, or 7 to 39 of
// them with at least one of the letters a to f, so that a plain number (a
// build number, a date such as 20240102) is not taken for one.
func ReleaseCommit(release string) (string, bool) {
	s := strings.TrimSpace(release)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) < 7 || len(s) > 40 {
		return "", false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			letter = true
		default:
			return "", false
		}
	}
	if !letter && len(s) != 40 {
		return "", false
	}
	return strings.ToLower(s), true
}

// releaseLink returns the body's release, rendered as release (already in
// code), linked to its commit when it names one that booty can link.
func (c codeLinks) releaseLink(release string) string {
	if c.repoURL == "" || c.commit == "" || release == "" {
		return release
	}
	// The link's text must show the commit it opens: a release that
	// redaction touched shows something else, and stays unlinked.
	if !strings.Contains(strings.ToLower(release), c.commit) {
		return release
	}
	return "[" + release + "](" + c.repoURL + "/commit/" + c.commit + ")"
}

// frameHead returns the head line of frame f: for an in-app frame that a
// code mapping matches, "`repo/path:line` in `function`" with the path
// linked to the file at the release's commit when the release names one;
// otherwise what frameHead returns. mapped and linked say which it did.
func (c codeLinks) frameHead(f alert.Frame) (head string, mapped, linked bool) {
	if !f.InApp || len(c.mappings) == 0 {
		return frameHead(f), false, false
	}
	path, ok := MapFrame(c.mappings, f)
	if !ok {
		return frameHead(f), false, false
	}
	text := path
	if f.Lineno > 0 {
		text += ":" + strconv.Itoa(f.Lineno)
	}
	file := codeSpan(text)
	if u, ok := c.blobURL(path, f.Lineno); ok {
		file, linked = "["+file+"]("+u+")", true
	}
	return withFunction(file, f), true, linked
}

// blobURL returns the link to line lineno of path, a repository path that
// mapFrame returned, at the release's commit.
func (c codeLinks) blobURL(path string, lineno int) (string, bool) {
	if c.repoURL == "" || c.commit == "" {
		return "", false
	}
	var b strings.Builder
	b.WriteString(c.repoURL + "/blob/" + c.commit)
	for seg := range strings.SplitSeq(path, "/") {
		b.WriteByte('/')
		escapeSegment(&b, seg)
	}
	if lineno > 0 {
		b.WriteString("#L" + strconv.Itoa(lineno))
	}
	if b.Len() > maxLinkBytes {
		return "", false
	}
	return b.String(), true
}

// escapeSegment writes seg percent-encoded, every byte but [A-Za-z0-9._-]:
// stricter than url.PathEscape, so that no character of a link can mean
// something to markdown ("()[]<>" and spaces), to GitHub (an '@' or '~'
// starting a mention or a strikethrough) or to a URL ('?', '#', ':').
func escapeSegment(b *strings.Builder, seg string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if isASCIIAlnum(c) || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// maxFramePathBytes bounds the frame paths mapFrame looks at: a longer
// one is no source file, and is rendered as before.
const maxFramePathBytes = 4096

// MapFrame returns the path in the repository of frame f by the mapping
// whose stack root is the longest to match f's filename or, failing that,
// its abs_path (the filename first when both match as long a root), and
// whether there is one that is safe to show and link. The path is the
// mapping's source root joined with the rest of the frame's path after
// the stack root; backslashes become slashes, empty and "." segments go,
// and the path is refused when a segment is "..", when the rest starts
// with a URL scheme (the frame's own "javascript:" or "https://host"), or
// when sanitising would change it (control or invisible characters, runs
// of spaces, a secret, more than maxPathRunes runes).
func MapFrame(mappings []route.CodeMapping, f alert.Frame) (string, bool) {
	best, rest := -1, ""
	for _, p := range []string{f.Filename, f.AbsPath} {
		if p == "" || len(p) > maxFramePathBytes {
			continue
		}
		if strings.Contains(p, "://") {
			// A URL's query and fragment name no file.
			if i := strings.IndexAny(p, "?#"); i >= 0 {
				p = p[:i]
			}
		}
		for i, m := range mappings {
			if best >= 0 && len(m.StackRoot) <= len(mappings[best].StackRoot) {
				continue
			}
			if r, ok := cutStackRoot(p, m.StackRoot); ok {
				best, rest = i, r
			}
		}
	}
	if best < 0 {
		return "", false
	}
	return repoPath(mappings[best].SourceRoot, rest)
}

// cutStackRoot returns p after root when root matches p's leading path
// segments and something is left.
func cutStackRoot(p, root string) (string, bool) {
	if !strings.HasPrefix(p, root) {
		return "", false
	}
	rest := p[len(root):]
	if root != "" && !strings.HasSuffix(root, "/") && !strings.HasSuffix(root, `\`) {
		// "app" matches "app/x.py", not "application.py".
		if rest == "" || (rest[0] != '/' && rest[0] != '\\') {
			return "", false
		}
	}
	return rest, rest != ""
}

// repoPath joins a source root and the rest of a frame's path into a clean
// repository path, or refuses it (see mapFrame).
func repoPath(sourceRoot, rest string) (string, bool) {
	rest = strings.ReplaceAll(rest, `\`, "/")
	if strings.Contains(rest, "://") || hasScheme(rest) {
		return "", false
	}
	var segs []string
	for seg := range strings.SplitSeq(sourceRoot+"/"+rest, "/") {
		switch seg {
		case "", ".":
		case "..":
			return "", false
		default:
			segs = append(segs, seg)
		}
	}
	p := strings.Join(segs, "/")
	if p == "" || sanitizeText(p, maxPathRunes, keepTail) != p {
		return "", false
	}
	return p, true
}

// hasScheme reports whether s starts with a URL scheme and its colon
// ("javascript:", "data:", "C:" of a Windows path too, which is no
// repository path either).
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// validRepo reports whether repo is "OWNER/NAME" of the characters GitHub
// allows in either, so that it can go into a link as it is.
func validRepo(repo string) bool {
	owner, name, ok := strings.Cut(repo, "/")
	return ok && validRepoPart(owner) && validRepoPart(name)
}

func validRepoPart(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isASCIIAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// webURL returns the web root of the GitHub host of an API host (the
// RenderOptions' Host): https://github.com for api.github.com or none,
// https://HOST for HOST or api.HOST (GitHub Enterprise Server and Cloud);
// "" when the host is not a plain host name, and nothing is linked.
func webURL(apiHost string) string {
	h := strings.ToLower(strings.TrimSpace(apiHost))
	h = strings.TrimPrefix(h, "api.")
	switch {
	case h == "" || h == githubHost:
		return "https://" + githubHost
	case strings.Trim(h, hostChars) != "" || strings.HasPrefix(h, ".") || strings.HasPrefix(h, ":"):
		return ""
	}
	return "https://" + h
}
