package asana

import (
	"context"
	"errors"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules"
)

// Sink writes key results to Asana Goals (target "asana:goal:<gid>"): the
// goal's metric current value, and a status update (on track, at risk, off
// track, achieved) whose text carries the evidence.
//
// Write reads the goal first (one request) and changes only what differs:
// the metric when its current value is not the result's (created with the
// key result's baseline and target when the goal has none), and a status
// update when the goal's current status update has another title. The
// title holds the status and the value, so a status update is posted once
// per change of either, and a retry after a lost answer (a crash before the
// outbox recorded the write, a restart, a second sender) finds its update
// already current and posts none. Requests per Write: 1 when nothing
// differs, up to 3 otherwise; 0 for a stale result. The Sink keeps no
// state and is safe for concurrent use.
type Sink struct {
	c   *Client
	log *slog.Logger
}

// NewSink returns a Sink writing through c. It does no I/O.
func NewSink(c *Client, log *slog.Logger) *Sink {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{c: c, log: log}
}

// StatusType maps a goalpost status to an Asana goal status update type;
// stale has none.
func StatusType(status string) (string, bool) {
	switch status {
	case rules.StatusOnTrack, rules.StatusAtRisk, rules.StatusOffTrack:
		return status, true
	case rules.StatusDone:
		return "achieved", true
	}
	return "", false
}

type goal struct {
	Metric *struct {
		CurrentNumberValue *float64 `json:"current_number_value"`
	} `json:"metric"`
	CurrentStatusUpdate *struct {
		Title string `json:"title"`
	} `json:"current_status_update"`
}

func parseGoalTarget(target outbox.Target) (string, error) {
	if target.Service != outbox.ServiceAsana || target.Kind != "goal" || !gid.MatchString(target.ID) {
		return "", permanent(fmt.Errorf("asana: target %s is not an Asana goal", target))
	}
	return target.ID, nil
}

// Write makes the goal show r (see Sink). Errors with Permanent() true are
// bad targets, authentication or permission problems and unknown goals;
// the rest are retryable, after Wait() when Asana asked for one.
func (s *Sink) Write(ctx context.Context, target outbox.Target, r outbox.Update) error {
	g, err := parseGoalTarget(target)
	if err != nil {
		return err
	}
	typ, ok := StatusType(r.Status)
	if !ok {
		if r.Status == rules.StatusStale {
			return nil
		}
		return permanent(fmt.Errorf("asana: unknown status %q", r.Status))
	}
	var cur goal
	q := url.Values{"opt_fields": {"metric.current_number_value,current_status_update.title"}}
	if _, err := s.c.Get(ctx, "/goals/"+g, q, &cur); err != nil {
		return sinkErr(err)
	}
	if err := s.setMetric(ctx, g, &cur, r); err != nil {
		return sinkErr(err)
	}
	title := StatusTitle(r)
	if cur.CurrentStatusUpdate != nil && cur.CurrentStatusUpdate.Title == title {
		return nil
	}
	body := map[string]any{"parent": g, "status_type": typ, "title": title, "text": StatusText(r)}
	if err := s.c.Post(ctx, "/status_updates", body, nil); err != nil {
		return sinkErr(err)
	}
	s.log.Debug("asana goal status update posted", "target", target, "kr", r.KRKey, "status", typ)
	return nil
}

// setMetric writes r's value as the goal's metric current value, creating
// the metric when the goal has none. A result without data leaves it.
func (s *Sink) setMetric(ctx context.Context, g string, cur *goal, r outbox.Update) error {
	if r.NoData {
		return nil
	}
	v := round(r.Current)
	if cur.Metric == nil {
		unit := "none"
		if r.Unit == "%" {
			unit = "percentage"
		}
		return s.c.Post(ctx, "/goals/"+g+"/setMetric", map[string]any{
			"precision": 2, "unit": unit, "initial_number_value": round(r.Baseline), "target_number_value": round(r.Target),
			"current_number_value": v, "progress_source": "manual",
		}, nil)
	}
	if cur.Metric.CurrentNumberValue != nil && *cur.Metric.CurrentNumberValue == v {
		return nil
	}
	return s.c.Post(ctx, "/goals/"+g+"/setMetricCurrentValue", map[string]any{"current_number_value": v}, nil)
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// StatusTitle is the title of the status update for r: its status and
// value, so that a new one is posted exactly when either changes.
func StatusTitle(r outbox.Update) string {
	current := num(r.Current) + r.Unit
	if r.NoData {
		current = "no data"
	}
	return fmt.Sprintf("%s: %s / %s%s · %s", r.Title, current, num(r.Target), r.Unit, strings.ReplaceAll(r.Status, "_", " "))
}

func num(v float64) string { return strconv.FormatFloat(round(v), 'f', -1, 64) }

// maxTextItems bounds the evidence lines of one status update.
const maxTextItems = 15

// StatusText is the plain text of a status update: progress, what moved
// (evidence with links), blockers, and which rule computed it.
func StatusText(r outbox.Update) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Progress %.0f%% (key result %s", r.Progress*100, r.Title)
	if r.Objective != "" {
		fmt.Fprintf(&b, ", objective %s", r.Objective)
	}
	b.WriteString(")\n")
	items := func(head string, ev []outbox.Evidence) {
		if len(ev) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s (%d):\n", head, len(ev))
		for i, e := range ev {
			if i == maxTextItems {
				fmt.Fprintf(&b, "… and %d more\n", len(ev)-i)
				break
			}
			fmt.Fprintf(&b, "- %s %s (%s, %s)\n", e.Title, e.URL, e.Kind, e.OccurredAt.UTC().Format("2006-01-02"))
		}
	}
	items("Evidence", r.Evidence)
	items("Blocked", r.Blocked)
	fmt.Fprintf(&b, "\nUpdated %s by goalpost · rule %s\n", r.EvaluatedAt.UTC().Format(time.DateTime+" UTC"), r.RuleVersion)
	return b.String()
}

// Describe says what Write would send for r, without sending anything.
func (s *Sink) Describe(target outbox.Target, r outbox.Update) (string, error) {
	g, err := parseGoalTarget(target)
	if err != nil {
		return "", err
	}
	typ, ok := StatusType(r.Status)
	if !ok {
		return "skip: no Asana status update for " + r.Status, nil
	}
	return fmt.Sprintf("goal %s: metric current value %s; status update %s %q unless current", g, num(r.Current), typ, StatusTitle(r)), nil
}

// Fingerprint identifies the sink's configuration (endpoint and token, the
// token only through a hash) so parked writes are retried when it changes.
func (s *Sink) Fingerprint() string {
	return outbox.Fingerprint(s.c.base, s.c.token.Reveal())
}

func permanent(err error) error { return outbox.Permanent(err) }

// sinkErr marks Asana answers permanent (4xx but 408/429) or retryable
// after Asana's wait; a wait longer than the transport allows is retried
// by the outbox after it; the rest (network, 5xx) is retryable.
func sinkErr(err error) error {
	var ae *Error
	var tl *transport.WaitTooLongError
	switch {
	case errors.As(err, &ae):
		return &outbox.SendError{Err: err, Perm: ae.Permanent(), After: ae.RetryAfter}
	case errors.As(err, &tl):
		return &outbox.SendError{Err: err, After: tl.Wait}
	}
	return &outbox.SendError{Err: err}
}
