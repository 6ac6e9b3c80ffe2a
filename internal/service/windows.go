package service

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
)

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

const minutesPerWeek = 7 * 24 * 60

// maintenanceBlocks is each region's 8-hour block (UTC start, in minutes) in
// which AWS picks a default maintenance window (aws-behaviour.md §3.1).
var maintenanceBlocks = map[string]int{
	"us-east-1": 3 * 60, "us-east-2": 4 * 60, "us-west-1": 6 * 60, "us-west-2": 6 * 60,
	"us-gov-west-1": 6 * 60, "sa-east-1": 1 * 60, "af-south-1": 13 * 60, "ap-east-1": 13 * 60,
	"ap-east-2": 9 * 60, "ap-northeast-1": 13 * 60, "ap-northeast-2": 12 * 60, "ap-northeast-3": 12 * 60,
	"ap-southeast-1": 14 * 60, "ap-southeast-2": 12 * 60, "ap-southeast-3": 14 * 60,
	"ap-south-1": 17*60 + 30, "ap-south-2": 6*60 + 30, "eu-west-1": 22 * 60, "eu-west-2": 23 * 60,
	"eu-west-3": 23*60 + 59, "eu-central-1": 23 * 60, "eu-south-1": 21 * 60, "me-south-1": 13 * 60,
	"me-central-1": 13 * 60, "cn-north-1": 14 * 60, "cn-northwest-1": 14 * 60,
}

var (
	weeklyWindowRE = regexp.MustCompile(`^([a-z]{3}):([0-9]{2}):([0-9]{2})-([a-z]{3}):([0-9]{2}):([0-9]{2})$`)
	dailyWindowRE  = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$`)
)

// weeklyRange is a maintenance window as minutes from Sunday 00:00 UTC; end may wrap past the week.
type weeklyRange struct{ start, length int }

// parseMaintenanceWindow validates ddd:hh24:mi-ddd:hh24:mi (60 minutes to 24 hours).
func parseMaintenanceWindow(s string) (weeklyRange, string, *api.Error) {
	norm := strings.ToLower(strings.TrimSpace(s))
	m := weeklyWindowRE.FindStringSubmatch(norm)
	bad := api.ErrInvalidParameterValue("Invalid maintenance window format: '%s'. Specify a weekly range as ddd:hh24:mi-ddd:hh24:mi in UTC, for example sun:23:00-mon:01:30.", s)
	if m == nil {
		return weeklyRange{}, "", bad
	}
	start, ok1 := weekMinute(m[1], m[2], m[3])
	end, ok2 := weekMinute(m[4], m[5], m[6])
	if !ok1 || !ok2 {
		return weeklyRange{}, "", bad
	}
	length := (end - start + minutesPerWeek) % minutesPerWeek
	if length < 60 {
		return weeklyRange{}, "", api.ErrInvalidParameterValue("The maintenance window must be at least 60 minutes long; '%s' is %d minutes.", s, length)
	}
	if length > 24*60 {
		return weeklyRange{}, "", api.ErrInvalidParameterValue("The maintenance window must be at most 24 hours long; '%s' is %d minutes.", s, length)
	}
	return weeklyRange{start, length}, norm, nil
}

func weekMinute(day, hh, mi string) (int, bool) {
	d := -1
	for i, w := range weekdays {
		if w == day {
			d = i
		}
	}
	h, _ := strconv.Atoi(hh)
	mm, _ := strconv.Atoi(mi)
	if d < 0 || h > 23 || mm > 59 {
		return 0, false
	}
	return d*24*60 + h*60 + mm, true
}

// dailyRange is a snapshot window as minutes from 00:00 UTC.
type dailyRange struct{ start, length int }

// parseSnapshotWindow validates hh24:mi-hh24:mi with a minimum of 60 minutes.
func parseSnapshotWindow(s string) (dailyRange, *api.Error) {
	m := dailyWindowRE.FindStringSubmatch(strings.TrimSpace(s))
	bad := api.ErrInvalidParameterValue("Invalid snapshot window format: '%s'. Specify a daily range as hh24:mi-hh24:mi in UTC, for example 05:00-09:00.", s)
	if m == nil {
		return dailyRange{}, bad
	}
	h1, _ := strconv.Atoi(m[1])
	m1, _ := strconv.Atoi(m[2])
	h2, _ := strconv.Atoi(m[3])
	m2, _ := strconv.Atoi(m[4])
	if h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59 {
		return dailyRange{}, bad
	}
	start, end := h1*60+m1, h2*60+m2
	length := (end - start + 24*60) % (24 * 60)
	if length < 60 {
		return dailyRange{}, api.ErrInvalidParameterValue("Snapshot window must be at least 60 minutes.")
	}
	return dailyRange{start, length}, nil
}

// overlaps reports whether the daily snapshot window meets the weekly maintenance window on any day.
func overlaps(d dailyRange, w weeklyRange) bool {
	for day := 0; day < 8; day++ { // 8 days covers a daily range that wraps into the next week
		s := (day*24*60 + d.start) % minutesPerWeek
		if intervalsMeet(s, d.length, w.start, w.length) {
			return true
		}
	}
	return false
}

func intervalsMeet(aStart, aLen, bStart, bLen int) bool {
	// Compare on the circle of the week by trying the shifts of b.
	for _, shift := range []int{-minutesPerWeek, 0, minutesPerWeek} {
		bs := bStart + shift
		if aStart < bs+bLen && bs < aStart+aLen {
			return true
		}
	}
	return false
}

func formatWeekly(start, length int) string {
	end := (start + length) % minutesPerWeek
	return fmt.Sprintf("%s:%02d:%02d-%s:%02d:%02d",
		weekdays[start/(24*60)], start%(24*60)/60, start%60,
		weekdays[end/(24*60)], end%(24*60)/60, end%60)
}

func formatDaily(start, length int) string {
	end := (start + length) % (24 * 60)
	return fmt.Sprintf("%02d:%02d-%02d:%02d", start/60, start%60, end/60, end%60)
}

// defaultMaintenanceWindow picks, as AWS does, a random 60-minute window on a
// random day, starting on the hour or half hour inside the region's 8-hour block.
func defaultMaintenanceWindow(rng *rand.Rand, region string) (weeklyRange, string) {
	block, ok := maintenanceBlocks[region]
	if !ok {
		block = 3 * 60
	}
	day := rng.IntN(7)
	offset := rng.IntN(15) * 30 // 0..7h in half hours: the window ends inside the 8-hour block
	start := (day*24*60 + block + offset) % minutesPerWeek
	return weeklyRange{start, 60}, formatWeekly(start, 60)
}

// defaultMaintenanceWindowAvoiding is defaultMaintenanceWindow for a request
// that names its snapshot window but not its maintenance window: it picks at
// random among the default windows that do not overlap the snapshot window, so
// that the service's own choice never makes a valid request fail. When none
// fits, it falls back to defaultMaintenanceWindow (and the overlap is reported).
func defaultMaintenanceWindowAvoiding(rng *rand.Rand, region string, snap dailyRange) (weeklyRange, string) {
	block, ok := maintenanceBlocks[region]
	if !ok {
		block = 3 * 60
	}
	var fits []int
	for day := 0; day < 7; day++ {
		for k := 0; k < 15; k++ {
			start := (day*24*60 + block + k*30) % minutesPerWeek
			if !overlaps(snap, weeklyRange{start, 60}) {
				fits = append(fits, start)
			}
		}
	}
	if len(fits) == 0 {
		return defaultMaintenanceWindow(rng, region)
	}
	start := fits[rng.IntN(len(fits))]
	return weeklyRange{start, 60}, formatWeekly(start, 60)
}

// defaultSnapshotWindow picks a random 60-minute daily window, on the hour, that
// does not overlap the maintenance window. A maintenance window of 23 hours or
// more may leave no free hour that starts on the hour; then the first window, at
// any minute, that fits the gap is taken. It returns "" when nothing fits (a
// 24-hour maintenance window overlaps every daily window).
func defaultSnapshotWindow(rng *rand.Rand, maint weeklyRange) string {
	first := rng.IntN(24)
	for i := 0; i < 24; i++ {
		d := dailyRange{((first + i) % 24) * 60, 60}
		if !overlaps(d, maint) {
			return formatDaily(d.start, d.length)
		}
	}
	for start := 0; start < 24*60; start++ {
		d := dailyRange{(first*60 + start) % (24 * 60), 60}
		if !overlaps(d, maint) {
			return formatDaily(d.start, d.length)
		}
	}
	return ""
}
