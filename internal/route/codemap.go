package route

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// CodeMapping maps the path of a stack frame, as Sentry reports it, to a
// path in the route's repository, the way Sentry's code mappings do: a
// frame whose path starts with StackRoot is at SourceRoot followed by the
// rest of the path. The issue body shows that path and links it.
type CodeMapping struct {
	// StackRoot is the start of the frame's path: "app/",
	// "/usr/src/app/", "webpack:///./src/". It matches whole path
	// segments, so "app" and "app/" both match "app/views.py" and neither
	// matches "application.py". "" matches every path.
	StackRoot string
	// SourceRoot is the directory in the repository that replaces it:
	// "services/api/"; "" is the repository's root.
	SourceRoot string
}

// String returns "STACK_ROOT=SOURCE_ROOT", the form of BOOTY_CODE_MAPPINGS.
func (m CodeMapping) String() string { return m.StackRoot + "=" + m.SourceRoot }

// Limits of code mappings: a route needs a handful, and a root is a path.
const (
	maxCodeMappings = 100
	maxRootBytes    = 256
)

// codeMappingKeys are the keys of one code mapping.
var codeMappingKeys = []string{"stack_root", "source_root"}

// CheckCodeMapping reports what is wrong with m, naming the root at fault:
// both roots empty (the mapping would change nothing), a root that is too
// long, not UTF-8, holds a control character or a ".." segment, or a
// source root that is a URL or starts with a slash (it is a path from the
// repository's root).
func CheckCodeMapping(m CodeMapping) error {
	if m.StackRoot == "" && m.SourceRoot == "" {
		return errors.New(`stack_root and source_root are both empty: the mapping would change nothing`)
	}
	if err := checkStackRoot(m.StackRoot); err != nil {
		return fmt.Errorf("stack_root: %w", err)
	}
	if err := checkSourceRoot(m.SourceRoot); err != nil {
		return fmt.Errorf("source_root: %w", err)
	}
	return nil
}

func checkStackRoot(s string) error {
	return checkRoot(s)
}

func checkSourceRoot(s string) error {
	if err := checkRoot(s); err != nil {
		return err
	}
	switch {
	case strings.Contains(s, "://"):
		return fmt.Errorf("%s is a URL; write the directory in the repository, such as services/api/", quote(s))
	case strings.HasPrefix(s, "/"):
		return fmt.Errorf("%s starts with a slash; write the directory from the repository's root, such as services/api/", quote(s))
	case strings.Contains(s, `\`):
		return fmt.Errorf(`%s holds a backslash; paths in a repository use /`, quote(s))
	}
	return nil
}

func checkRoot(s string) error {
	switch {
	case len(s) > maxRootBytes:
		return fmt.Errorf("the root is %d bytes long; the limit is %d", len(s), maxRootBytes)
	case !utf8.ValidString(s):
		return errors.New("the root is not valid UTF-8")
	case strings.IndexFunc(s, unsafeRune) >= 0:
		return errors.New("the root holds a control character")
	}
	for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return fmt.Errorf("%s holds a .. segment: a mapping cannot leave its root", quote(s))
		}
	}
	return nil
}

// codeMappings reads a code_mappings list: [{stack_root: …, source_root: …}].
// An empty list (or an empty value) is no mapping at all, which replaces
// the defaults' mappings.
func (p *parser) codeMappings(v *yaml.Node) []CodeMapping {
	out := []CodeMapping{}
	switch {
	case isNull(v):
		return out
	case v.Kind != yaml.SequenceNode:
		p.kindError(v, "code_mappings must be a list of {stack_root: …, source_root: …}")
		return out
	case len(v.Content) > maxCodeMappings:
		p.errorf(v, "%d code mappings; a route holds at most %d", len(v.Content), maxCodeMappings)
		return out
	}
	seen := map[string]int{}
	for _, item := range v.Content {
		if item.Kind != yaml.MappingNode {
			p.kindError(item, "a code mapping must be a mapping {stack_root: …, source_root: …}")
			continue
		}
		var m CodeMapping
		ok := true
		p.mapping(item, "a code mapping", codeMappingKeys, noHint, func(key string, k, v *yaml.Node) {
			s, good := p.root(v, key)
			if !good {
				ok = false
				return
			}
			if key == "stack_root" {
				m.StackRoot = s
			} else {
				m.SourceRoot = s
			}
		})
		if !ok {
			continue
		}
		if m.StackRoot == "" && m.SourceRoot == "" {
			p.errorf(item, "code mapping: stack_root and source_root are both empty: the mapping would change nothing")
			continue
		}
		if line, dup := seen[m.StackRoot]; dup {
			p.errorf(item, "stack_root %s is mapped twice (first at line %d)", quote(m.StackRoot), line)
			continue
		}
		seen[m.StackRoot] = item.Line
		out = append(out, m)
	}
	return out
}

// root reads a stack_root or source_root: a string, checked, reported at
// its own line.
func (p *parser) root(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		if n.Kind == yaml.AliasNode {
			p.kindError(n, "")
			return "", false
		}
		p.errorf(n, `%s must be a string, such as "app/" ("" for none), not %s`, key, kindName(n))
		return "", false
	}
	check := checkStackRoot
	if key == "source_root" {
		check = checkSourceRoot
	}
	if err := check(n.Value); err != nil {
		p.errorf(n, "%s: %v", key, err)
		return "", false
	}
	return n.Value, true
}
