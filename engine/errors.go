package engine

import (
	"fmt"
	"strings"
)

// InputError is a request that cannot succeed as asked: an unknown key
// result or item, a key result of the wrong type. It is the caller's to
// fix (a CLI exits 2 on it), and its message names the valid choices.
type InputError struct {
	Msg     string
	Choices []string // the valid choices, when they can be listed
	Label   string   // what introduces Choices (default "choose one of")
}

func (e *InputError) Error() string {
	if len(e.Choices) == 0 {
		return e.Msg
	}
	label := e.Label
	if label == "" {
		label = "choose one of"
	}
	return fmt.Sprintf("%s; %s: %s", e.Msg, label, strings.Join(e.Choices, ", "))
}

// unknownKR is the error for a key result that is not configured, listing
// those of the wanted type (all when want is "").
func (e *Engine) unknownKR(key, want string) *InputError {
	var keys []string
	for _, r := range e.set.Rules() {
		if want == "" || r.Type == want {
			keys = append(keys, r.Key)
		}
	}
	what := "key result"
	if want != "" {
		what = want + " key result"
	}
	return &InputError{Msg: fmt.Sprintf("unknown %s %q", what, key), Choices: keys}
}
