package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestEventRoundTrip: an event with every field set is read back equal, on
// both backends, whether its time has more than milliseconds or not. The
// event is filled field by field, so a field added to event.Event that the
// events table does not keep fails here.
func TestEventRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(testing.TB) *store.Store) {
		st := open(t)
		for name, at := range map[string]time.Time{
			"milliseconds": time.Date(2026, 11, 3, 10, 4, 5, 6_000_000, time.UTC),
			"nanoseconds":  time.Date(2026, 11, 3, 10, 4, 5, 6_000_007, time.UTC),
		} {
			t.Run(name, func(t *testing.T) {
				want := fullEvent(t, name, at)
				if err := st.InTx(t.Context(), func(tx *store.Tx) error { _, err := tx.InsertEvent(t.Context(), want); return err }); err != nil {
					t.Fatal(err)
				}
				got, err := st.Event(t.Context(), want.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("read back\n%+v\nwant\n%+v", got, want)
				}
			})
		}
	})
}

// fullEvent is an event with every field set (id and time as given).
func fullEvent(t *testing.T, id string, at time.Time) event.Event {
	t.Helper()
	var ev event.Event
	v := reflect.ValueOf(&ev).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Interface().(type) {
		case string:
			f.SetString(name + "-value")
		case time.Time:
		case []string:
			f.Set(reflect.ValueOf([]string{name + "-1", name + "-2"}))
		case map[string]float64:
			f.Set(reflect.ValueOf(map[string]float64{name: 1.5}))
		case map[string]string:
			f.Set(reflect.ValueOf(map[string]string{name: "v"}))
		case []event.ShippedChange:
			f.Set(reflect.ValueOf([]event.ShippedChange{{Number: 7, Title: "t", URL: "u", AuthorHandle: "h",
				MergedAt: at.Add(-time.Hour), LeadTimeSeconds: 3600}}))
		default:
			t.Fatalf("event field %s (%s): teach fullEvent and the events table about it", name, f.Type())
		}
	}
	ev.ID, ev.OccurredAt = id, at
	return ev
}
