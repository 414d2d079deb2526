package writeback

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// WriteStatus prints the outbox for `goalpost status`: counts of the
// key-result writes and of the weekly report deliveries by state, then
// every pending send (attempts, next attempt) and every parked one, and
// their last errors or parking reasons, within present.Width columns. It contains no secrets (reasons
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
	var writes, reports [3]int
	for service, states := range counts {
		t := &writes
		if service == outbox.ServiceReport {
			t = &reports
		}
		t[0] += states[store.WritePending]
		t[1] += states[store.WriteParked]
		t[2] += states[store.WriteSent]
	}
	fmt.Fprintf(w, "Key-result writes: %d pending, %d parked, %d sent\n", writes[0], writes[1], writes[2])
	fmt.Fprintf(w, "Report deliveries: %d pending, %d parked, %d sent\n", reports[0], reports[1], reports[2])
	if len(ws) == 0 {
		return nil
	}
	t := present.Table{Header: []string{"STATE", "TARGET", "KR", "TRIES", "WHEN"}, Flex: 1}
	for _, q := range ws {
		when := "due now"
		switch {
		case q.State == store.WriteParked:
			when = "parked " + ago(now, q.ParkedAt)
		case q.NextAttempt.After(now):
			when = "retry in " + present.Duration(q.NextAttempt.Sub(now))
		}
		t.Add(q.State, q.Target.String(), oneLine(q.KRKey, 40), fmt.Sprint(q.Attempts), when)
	}
	if err := t.Write(w); err != nil {
		return err
	}
	return writeReasons(w, ws)
}

// writeReasons prints each send's last error or parking reason, wrapped to
// the terminal width.
func writeReasons(w io.Writer, ws []store.QueuedWrite) error {
	first := true
	for _, q := range ws {
		if q.LastError == "" {
			continue
		}
		if first {
			fmt.Fprintln(w, "Reasons:")
			first = false
		}
		if _, err := fmt.Fprintln(w, present.Wrap("  "+q.Target.String()+": "+oneLine(q.LastError, 2000), present.Width)); err != nil {
			return err
		}
	}
	return nil
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
	if w.Target.Service == outbox.ServiceReport {
		r, err := outbox.DecodeReport(w.Payload)
		if err != nil {
			return "would be parked: bad payload: " + err.Error()
		}
		return fmt.Sprintf("deliver team %q's weekly report for %s to %s", r.Team, r.Week, r.Destination)
	}
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
