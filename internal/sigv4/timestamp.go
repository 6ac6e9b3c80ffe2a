package sigv4

import (
	"fmt"
	"time"
)

// amzDateLayout is ISO 8601 basic format in UTC, as X-Amz-Date carries it.
const amzDateLayout = "20060102T150405Z"

// parseAmzDate parses an X-Amz-Date value. The shape is checked first
// because time.Parse accepts single-digit hours, and the raw value is part
// of the string to sign, so only the one canonical spelling is allowed.
func parseAmzDate(s string) (time.Time, *Error) {
	if len(s) != len(amzDateLayout) || s[8] != 'T' || s[15] != 'Z' || !allDigits(s[:8]) || !allDigits(s[9:15]) {
		return time.Time{}, errBadAmzDate(s)
	}
	t, err := time.Parse(amzDateLayout, s)
	if err != nil {
		return time.Time{}, errBadAmzDate(s)
	}
	return t, nil
}

func errBadAmzDate(s string) *Error {
	return errIncompleteSignature(fmt.Sprintf("X-Amz-Date must be in ISO 8601 basic format (yyyyMMddTHHmmssZ), got '%s'.", excerpt(s)))
}

func formatAmzDate(t time.Time) string {
	return t.UTC().Format(amzDateLayout)
}

// describeDuration writes whole minutes the way AWS messages do ("15 min.").
func describeDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", int64(d/time.Minute))
	}
	return d.String()
}
