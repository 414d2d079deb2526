package writeback

import (
	"context"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report/present"
)

// WriteStatus prints the outbox for `goalpost status`: counts per service
// and state, then every pending write (attempts, next attempt, last error)
// and every parked write with its reason. It contains no secrets (reasons
// are sink errors, which never carry tokens).
func (s *Sender) WriteStatus(ctx context.Context, w io.Writer) error {
	return WriteStatus(ctx, s.st, s.now(), w)
}

// WriteStatus is Sender.WriteStatus for a store alone, as of now: what a
// command that sends nothing (status) shows.
func WriteStatus(ctx context.Context, st *store.Store, now time.Time, w io.Writer) error {
	counts, err := st.WriteCounts(ctx)
	if err != nil {
		return err
	}
	ws, err := st.ListWrites(ctx, store.WritePending, store.WriteParked)
	if err != nil {
		return err
	}
	var total [3]int
	for _, states := range counts {
		total[0] += states[store.WritePending]
		total[1] += states[store.WriteParked]
		total[2] += states[store.WriteSent]
	}
	fmt.Fprintf(w, "writeback: %d pending, %d parked, %d sent\n", total[0], total[1], total[2])
	if len(ws) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tTARGET\tKR\tATTEMPTS\tWHEN\tREASON")
	for _, q := range ws {
		when := "due now"
		switch {
		case q.State == store.WriteParked:
			when = "parked " + ago(now, q.ParkedAt)
		case q.NextAttempt.After(now):
			when = "retry in " + present.Duration(q.NextAttempt.Sub(now))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", q.State, q.Target, q.KRKey, q.Attempts, when, oneLine(q.LastError, 300))
	}
	return tw.Flush()
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return present.Duration(now.Sub(t)) + " ago"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// dryRound prints the due writes without claiming or marking anything. With
// onlyNew (Run), a write already printed for the same payload is skipped.
func (s *Sender) dryRound(ctx context.Context, onlyNew bool) error {
	ws, err := s.st.DueWrites(ctx, s.now(), 10000)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	printed := 0
	for _, w := range ws {
		if onlyNew && s.printed[w.Target] == w.Seq {
			continue
		}
		s.printed[w.Target] = w.Seq
		fmt.Fprintf(s.dryRun, "dry run: would write %s (kr %s): %s\n", w.Target, w.KRKey, s.describe(w))
		printed++
	}
	if !onlyNew && printed == 0 {
		fmt.Fprintln(s.dryRun, "dry run: nothing to write")
	}
	return nil
}

// describe says what sending w would do.
func (s *Sender) describe(w store.QueuedWrite) string {
	r, err := outbox.DecodeUpdate(w.Payload)
	if err != nil {
		return "would be parked: bad payload: " + err.Error()
	}
	sink, ok := s.sinks[w.Target.Service]
	if !ok {
		return fmt.Sprintf("would be parked: no writeback sink is configured for %q", w.Target.Service)
	}
	if d, ok := sink.(Describer); ok {
		out, err := d.Describe(w.Target, r)
		if err != nil {
			return "would fail: " + err.Error()
		}
		return out
	}
	return fmt.Sprintf("current %s / target %s, status %s", present.Value(r.Current, r.Unit), present.Value(r.Target, r.Unit), present.Status(r.Status))
}
