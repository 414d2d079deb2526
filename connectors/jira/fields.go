package jira

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// apiField is one entry of GET rest/api/2/field.
type apiField struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Custom bool   `json:"custom"`
}

// fields lists the site's fields (system and custom).
func (a *api) fields(ctx context.Context) ([]apiField, error) {
	var list []apiField
	if err := a.do(ctx, http.MethodGet, "rest/api/2/field", nil, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// FlagFieldError is a blocked.flag_field the site does not have: flagged
// issues would never be blocked, so the poll fails with the fix.
type FlagFieldError struct {
	ID    string // the configured id
	Found string // the id of the field named Flagged, "" when none
}

func (e *FlagFieldError) Error() string {
	msg := fmt.Sprintf("jira: blocked.flag_field %q is not a field on this site", e.ID)
	if e.Found != "" {
		return msg + fmt.Sprintf(`; the field named %q is %q: set flag_field = %q or leave it unset`, FlagFieldName, e.Found, e.Found)
	}
	return msg + `; this site has no field named "Flagged": set flag_field = "-" to turn flag checks off`
}

// resolveFlagField returns the Flagged field's id for the configured
// value: "-" is none; an explicit id must exist (else *FlagFieldError);
// unset is the custom field named Flagged (case-insensitive), "" with
// found=false when the site has none.
func resolveFlagField(configured string, fields []apiField) (id string, found bool, err error) {
	named := ""
	for _, f := range fields {
		if f.Custom && strings.EqualFold(strings.TrimSpace(f.Name), FlagFieldName) {
			named = f.ID
			break
		}
	}
	switch configured {
	case "-":
		return "", true, nil
	case "":
		return named, named != "", nil
	}
	for _, f := range fields {
		if f.ID == configured {
			return configured, true, nil
		}
	}
	return "", false, &FlagFieldError{ID: configured, Found: named}
}
