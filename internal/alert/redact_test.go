package alert

import (
	"reflect"
	"strings"
	"testing"
)

// fillStrings sets every string reachable from v (fields, slices of
// strings and of structs) to a text holding secret, and returns the paths
// it set. Slices get two elements, so a loop that stops early is caught.
func fillStrings(v reflect.Value, path, secret string, paths *[]string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("text " + secret + " " + path)
		*paths = append(*paths, path)
	case reflect.Struct:
		if v.Type().PkgPath() != reflect.TypeFor[Alert]().PkgPath() {
			return // time.Time and other foreign types hold no payload text
		}
		for i := range v.NumField() {
			fillStrings(v.Field(i), path+"."+v.Type().Field(i).Name, secret, paths)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillStrings(v.Index(i), path+"[]", secret, paths)
		}
	}
}

// findStrings returns the paths of the strings reachable from v that hold
// secret.
func findStrings(v reflect.Value, path, secret string, found *[]string) {
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(v.String(), secret) {
			*found = append(*found, path)
		}
	case reflect.Struct:
		if v.Type().PkgPath() != reflect.TypeFor[Alert]().PkgPath() {
			return
		}
		for i := range v.NumField() {
			findStrings(v.Field(i), path+"."+v.Type().Field(i).Name, secret, found)
		}
	case reflect.Slice:
		for i := range v.Len() {
			findStrings(v.Index(i), path+"[]", secret, found)
		}
	}
}

// TestRedactReachesEveryString fills every string of an Alert, including
// fields added after this test was written, and checks that Redact
// rewrites all of them but the two identifiers dedup matches on.
func TestRedactReachesEveryString(t *testing.T) {
	t.Parallel()
	const secret = "sk_live_0123456789abcdef"
	var a Alert
	var paths []string
	fillStrings(reflect.ValueOf(&a).Elem(), "Alert", secret, &paths)
	if len(paths) < 20 {
		t.Fatalf("filled only %d strings: %v", len(paths), paths)
	}
	key, event := a.ProblemKey, a.EventID

	calls := 0
	a.Redact(func(s string) string {
		calls++
		return strings.ReplaceAll(s, secret, "[REDACTED]")
	})

	var left []string
	findStrings(reflect.ValueOf(&a).Elem(), "Alert", secret, &left)
	want := []string{"Alert.ProblemKey", "Alert.EventID"}
	if !reflect.DeepEqual(left, want) {
		t.Errorf("strings still holding the secret: got %v, want only %v", left, want)
	}
	if a.ProblemKey != key || a.EventID != event {
		t.Errorf("identifiers changed: got %q, %q", a.ProblemKey, a.EventID)
	}
	if calls != len(paths)-2 {
		t.Errorf("redactor called %d times, want once for each of %d strings", calls, len(paths)-2)
	}
}
