package sentrytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// The values "Update an Issue" accepts, as Sentry's GroupValidator lists
// them.
var (
	statusChoices    = []string{"resolved", "resolvedInNextRelease", "unresolved", "ignored"}
	substatusChoices = []string{
		"archived_until_escalating", "archived_until_condition_met", "archived_forever",
		"escalating", "ongoing", "regressed", "new",
	}
	// substatusesOf are the substatuses each stored status may have.
	substatusesOf = map[string][]string{
		"ignored":    {"archived_until_escalating", "archived_until_condition_met", "archived_forever"},
		"unresolved": {"escalating", "ongoing", "regressed", "new"},
	}
)

// update applies an "Update an Issue" body to is. On refusal it returns
// the status and the error body Sentry would answer.
func update(is Issue, body []byte, noReleases bool) (Issue, int, any) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return is, http.StatusBadRequest, map[string]string{"detail": "JSON parse error - " + err.Error()}
	}
	fields, ok := raw.(map[string]any)
	if !ok {
		return is, http.StatusBadRequest, fieldError("non_field_errors", "Invalid data. Expected a dictionary, but got "+typeName(raw)+".")
	}
	status, hasStatus, bad := choice(fields, "status", statusChoices, false)
	if bad != nil {
		return is, http.StatusBadRequest, bad
	}
	substatus, hasSubstatus, bad := choice(fields, "substatus", substatusChoices, true)
	if bad != nil {
		return is, http.StatusBadRequest, bad
	}
	details := map[string]any{}
	if v, ok := fields["statusDetails"]; ok {
		d, ok := v.(map[string]any)
		if !ok {
			return is, http.StatusBadRequest, map[string]any{"statusDetails": fieldError("non_field_errors",
				"Invalid data. Expected a dictionary, but got "+typeName(v)+".")}
		}
		details = d
	}
	inNext := false
	if v, ok := details["inNextRelease"]; ok {
		b, ok := v.(bool)
		if !ok {
			return is, http.StatusBadRequest, map[string]any{"statusDetails": fieldError("inNextRelease", "Must be a valid boolean.")}
		}
		inNext = b
	}
	if status == "resolvedInNextRelease" {
		status, inNext = "resolved", true
	}
	if inNext && noReleases {
		return is, http.StatusBadRequest, map[string]any{"statusDetails": fieldError("inNextRelease", detailNoRelease)}
	}
	if !hasStatus {
		if hasSubstatus && substatus != "" {
			return is, http.StatusBadRequest, map[string]string{"detail": "Cannot set a substatus without a status."}
		}
		// Nothing booty's bodies touch: the issue stays as it is.
		return is, http.StatusOK, nil
	}
	if substatus == "" {
		substatus = inferSubstatus(status, details)
	}
	if !slices.Contains(substatusesOf[status], substatus) && substatus != "" {
		return is, http.StatusBadRequest, fieldError("substatus",
			fmt.Sprintf("%q is not a valid substatus for status %q.", substatus, status))
	}
	next := Issue{Status: status, Substatus: substatus, StatusDetails: map[string]any{}}
	if status == "resolved" && inNext {
		next.StatusDetails["inNextRelease"] = true
	}
	return next, http.StatusOK, nil
}

// inferSubstatus is the substatus Sentry gives a status sent without one.
func inferSubstatus(status string, details map[string]any) string {
	switch status {
	case "ignored":
		if v, _ := details["untilEscalating"].(bool); v {
			return "archived_until_escalating"
		}
		for _, k := range []string{"ignoreCount", "ignoreDuration", "ignoreUntil", "ignoreUserCount", "ignoreUserWindow", "ignoreWindow"} {
			if details[k] != nil {
				return "archived_until_condition_met"
			}
		}
		return "archived_forever"
	case "unresolved":
		return "ongoing"
	}
	return ""
}

// choice reads fields[name], which must be one of choices (or null when
// nullable), and returns Sentry's field error otherwise.
func choice(fields map[string]any, name string, choices []string, nullable bool) (string, bool, any) {
	v, ok := fields[name]
	if !ok {
		return "", false, nil
	}
	if v == nil {
		if nullable {
			return "", true, nil
		}
		return "", true, fieldError(name, "This field may not be null.")
	}
	s, isString := v.(string)
	if !isString || !slices.Contains(choices, s) {
		return "", true, fieldError(name, fmt.Sprintf("%q is not a valid choice.", fmt.Sprint(v)))
	}
	return s, true, nil
}

// fieldError is Django REST framework's error for one field.
func fieldError(field, msg string) map[string]any {
	return map[string]any{field: []string{msg}}
}

// typeName names a JSON value's type the way Python would.
func typeName(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number:
		return "int"
	case nil:
		return "NoneType"
	}
	return "dict"
}
