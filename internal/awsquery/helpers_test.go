package awsquery_test

import (
	"encoding/json"
	"unicode/utf8"
)

// dump renders a decoded structure readably for failure messages.
func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }
