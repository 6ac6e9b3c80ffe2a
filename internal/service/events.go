package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// defaultEventWindow is what DescribeEvents covers without StartTime, EndTime
// or Duration: "only the events occurring within the last hour" (the model).
const defaultEventWindow = 60 * time.Minute

// DescribeEvents lists the events of the window asked for, newest first, as
// every AWS example orders them. The events themselves are written by the
// handlers and the reconciler in the transactions of the changes they report.
func (s *Service) DescribeEvents(ctx context.Context, in *api.DescribeEventsMessage) (*api.EventsMessage, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	if in.SourceType != "" && !slices.Contains(in.SourceType.Values(), in.SourceType) {
		return nil, api.ErrInvalidParameterValue("Invalid value '%s' for parameter SourceType. Valid values: %s.", in.SourceType, joinSourceTypes())
	}
	sourceID := api.Deref(in.SourceIdentifier)
	if sourceID != "" && in.SourceType == "" {
		// The rule of the RDS-family DescribeEvents this API shares: an identifier names a source only within a type.
		return nil, api.ErrInvalidParameterCombination("SourceIdentifier %s needs a SourceType as well (for a cluster: SourceType cache-cluster).", sourceID)
	}
	from, to, verr := s.eventWindow(in)
	if verr != nil {
		return nil, verr
	}
	marker := api.Deref(in.Marker)
	if marker != "" && !store.IsEventKey(marker) {
		return nil, api.ErrInvalidParameterValue("Invalid Marker %q: pass the Marker of the previous DescribeEvents response unchanged.", marker)
	}

	out := &api.EventsMessage{Events: []api.Event{}}
	var last string
	more := false
	err := s.store.View(func(tx *store.Tx) error {
		return tx.Events(from, to, marker, func(key string, e model.Event) (bool, error) {
			if in.SourceType != "" && e.SourceType != string(in.SourceType) {
				return true, nil
			}
			if sourceID != "" && !strings.EqualFold(e.SourceIdentifier, sourceID) {
				return true, nil
			}
			if len(out.Events) == limit {
				more = true
				return false, nil
			}
			date := e.Date
			out.Events = append(out.Events, api.Event{
				SourceIdentifier: api.String(e.SourceIdentifier),
				SourceType:       api.SourceType(e.SourceType),
				Message:          api.String(e.Message),
				Date:             &date,
			})
			last = key
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.Marker = api.String(last)
	}
	return out, nil
}

// eventWindow turns StartTime, EndTime and Duration (minutes) into the
// interval to list: Duration counts back from EndTime (or now), or forward
// from StartTime; StartTime alone runs to now. Nothing older than the 14 days
// of retention is ever listed.
func (s *Service) eventWindow(in *api.DescribeEventsMessage) (from, to time.Time, _ *api.Error) {
	now := s.cfg.Now().UTC()
	window := defaultEventWindow
	if in.Duration != nil {
		if *in.Duration < 1 {
			return from, to, api.ErrInvalidParameterValue("The parameter Duration must be a positive number of minutes (e.g. 1440 for 24 hours); %d was given.", *in.Duration)
		}
		window = time.Duration(*in.Duration) * time.Minute
	}
	switch {
	case in.StartTime != nil && in.EndTime != nil:
		if in.Duration != nil {
			return from, to, api.ErrInvalidParameterCombinationMsg("Give either StartTime and EndTime, or a Duration with at most one of them; not all three.")
		}
		from, to = *in.StartTime, *in.EndTime
		if from.After(to) {
			return from, to, api.ErrInvalidParameterValue("The StartTime %s is after the EndTime %s.", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		}
	case in.StartTime != nil:
		from, to = *in.StartTime, now
		if in.Duration != nil {
			to = from.Add(window)
		}
	case in.EndTime != nil:
		from, to = in.EndTime.Add(-window), *in.EndTime
	default:
		from, to = now.Add(-window), now
	}
	if floor := now.Add(-model.EventRetention); from.Before(floor) {
		from = floor
	}
	return from, to, nil
}

func joinSourceTypes() string {
	var names []string
	for _, v := range api.SourceType("").Values() {
		names = append(names, string(v))
	}
	return strings.Join(names, ", ")
}
