package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ValueError is a parameter value that the catalog does not allow. Its
// message says what would be allowed.
type ValueError struct {
	Parameter string
	Value     string
	Reason    string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("Invalid value %q for parameter %s: %s", e.Value, e.Parameter, e.Reason)
}

// CheckValue reports whether value is allowed for the parameter: its data
// type, its AllowedValues and the parameter's own rule. It does not check
// whether the parameter is modifiable.
func (p Parameter) CheckValue(value string) error {
	bad := func(format string, args ...any) error {
		return &ValueError{Parameter: p.Name, Value: value, Reason: fmt.Sprintf(format, args...)}
	}
	if hasControl(value) {
		return bad("control characters are not allowed")
	}
	if p.check != nil {
		if err := p.check(value); err != nil {
			return bad("%v", err)
		}
		return nil
	}
	switch p.DataType {
	case TypeInteger:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return bad("it must be an integer (%s)", describeRanges(p.AllowedValues))
		}
		if !inRanges(p.AllowedValues, float64(n)) {
			return bad("it must be %s", describeRanges(p.AllowedValues))
		}
	case TypeNumeric:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bad("it must be a number (%s)", describeRanges(p.AllowedValues))
		}
		if !inRanges(p.AllowedValues, f) {
			return bad("it must be %s", describeRanges(p.AllowedValues))
		}
	default:
		if p.AllowedValues != "" && !slices.Contains(strings.Split(p.AllowedValues, ","), value) {
			return bad("allowed values are %s", p.AllowedValues)
		}
	}
	return nil
}

// numericRange is one item of an AllowedValues list: [lo, hi], either end
// open.
type numericRange struct {
	lo, hi           float64
	hasLo, hasHi     bool
	text             string
	exact, unbounded bool
}

// parseRanges reads AWS's range notation: "0-", "1-100", "0,20-", "-"
// (any number), "-5,-4,1-", "5000", "-1-" (-1 or more).
func parseRanges(allowed string) []numericRange {
	var out []numericRange
	for _, item := range strings.Split(allowed, ",") {
		r := numericRange{text: item}
		if item == "-" || item == "" {
			r.unbounded = true
			out = append(out, r)
			continue
		}
		// The separator is the first '-' that is not a leading sign.
		sep := strings.Index(item[1:], "-")
		if sep < 0 {
			if f, err := strconv.ParseFloat(item, 64); err == nil {
				r.lo, r.hi, r.hasLo, r.hasHi, r.exact = f, f, true, true, true
			}
			out = append(out, r)
			continue
		}
		lo, hi := item[:sep+1], item[sep+2:]
		if f, err := strconv.ParseFloat(lo, 64); err == nil {
			r.lo, r.hasLo = f, true
		}
		if f, err := strconv.ParseFloat(hi, 64); err == nil {
			r.hi, r.hasHi = f, true
		}
		out = append(out, r)
	}
	return out
}

func inRanges(allowed string, f float64) bool {
	for _, r := range parseRanges(allowed) {
		if r.unbounded || (!r.hasLo || f >= r.lo) && (!r.hasHi || f <= r.hi) {
			return true
		}
	}
	return false
}

// describeRanges says in words what AllowedValues allows.
func describeRanges(allowed string) string {
	var parts []string
	for _, r := range parseRanges(allowed) {
		switch {
		case r.unbounded:
			parts = append(parts, "any value")
		case r.exact:
			parts = append(parts, r.text)
		case r.hasLo && r.hasHi:
			parts = append(parts, fmt.Sprintf("from %s to %s", fmtNum(r.lo), fmtNum(r.hi)))
		case r.hasLo:
			parts = append(parts, fmt.Sprintf("%s or more", fmtNum(r.lo)))
		case r.hasHi:
			parts = append(parts, fmt.Sprintf("at most %s", fmtNum(r.hi)))
		}
	}
	return strings.Join(parts, ", or ")
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// checkGrowthFactor: memcached needs a factor above 1 (-f 1 is refused).
func checkGrowthFactor(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 1 && f <= 2) {
		return fmt.Errorf("it must be a number above 1 and at most 2")
	}
	return nil
}

// checkKilobytes: memcached takes slab_chunk_max in whole kilobytes.
func checkKilobytes(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1024 || n > 1<<30 || n%1024 != 0 {
		return fmt.Errorf("it must be a number of bytes from 1024 to 1073741824 that is a multiple of 1024")
	}
	return nil
}

// keyspaceEventClasses are the notify-keyspace-events letters.
const keyspaceEventClasses = "KEg$lshzxeAtmdn"

func checkKeyspaceEvents(s string) error {
	for _, r := range s {
		if !strings.ContainsRune(keyspaceEventClasses, r) {
			return fmt.Errorf("%q is not a keyspace event class; use any of %s (K or E is needed for notifications to be delivered)", r, keyspaceEventClasses)
		}
	}
	return nil
}

// checkRenameCommands: space-separated pairs "COMMAND new-name" of the
// commands AWS lets you rename.
func checkRenameCommands(s string) error {
	fields := strings.Fields(s)
	if len(fields)%2 != 0 {
		return fmt.Errorf("it must be pairs of a command and its new name, separated by spaces (e.g. \"flushall blocked-flushall\")")
	}
	allowed := strings.Split(renameableCommands, ",")
	seen := map[string]bool{}
	for i := 0; i < len(fields); i += 2 {
		cmd, to := strings.ToUpper(fields[i]), fields[i+1]
		if !slices.Contains(allowed, cmd) {
			return fmt.Errorf("command %s cannot be renamed", fields[i])
		}
		if seen[cmd] {
			return fmt.Errorf("command %s is renamed twice", fields[i])
		}
		seen[cmd] = true
		for _, r := range to {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("new name %q must consist of letters, digits, '-' and '_'", to)
			}
		}
	}
	return nil
}

// CheckParameterValues checks the rules between the parameters of one
// group (family), given its values: memcached's chunk_size must leave room
// for at least two chunks of the largest item.
func CheckParameterValues(family string, group map[string]string) error {
	fc, ok := parameterCatalog[family]
	if !ok {
		return errorf("unknown parameter group family %q", family)
	}
	value := func(name string) string {
		if i, ok := fc.byName[name]; ok {
			return effectiveValue(fc.params[i], group)
		}
		return ""
	}
	if e, _ := FamilyEngine(family); e == Memcached {
		item, _ := strconv.ParseInt(value("max_item_size"), 10, 64)
		chunk, _ := strconv.ParseInt(value("chunk_size"), 10, 64)
		if chunk > item/2 {
			return &ValueError{Parameter: "chunk_size", Value: value("chunk_size"), Reason: fmt.Sprintf("it must be at most half of max_item_size (%d)", item)}
		}
		if kb := value("slab_chunk_max"); kb != "" {
			if n, _ := strconv.ParseInt(kb, 10, 64); n > item {
				return &ValueError{Parameter: "slab_chunk_max", Value: kb, Reason: fmt.Sprintf("it must not exceed max_item_size (%d)", item)}
			}
		}
	}
	return nil
}
