package engine

import (
	"context"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/rules"
)

// Incremental inputs (ADR 11): inside a write transaction the engine reads
// a key result's inputs from the state the store keeps up to date per event
// (the unit groups in its window, its ratio counts) instead of recomputing
// them from every match: its cost does not grow with the history. The
// reference computation (inputs with a nil KRTx) stays for read-only
// questions (explain, moved, results) and is what Check compares with.

// incrementalInputs fills in for r from k's incremental state; it reports
// false for the types it leaves to the reference (manual).
func (e *Engine) incrementalInputs(ctx context.Context, k *store.KRTx, r *rules.Rule, in *rules.Inputs) (bool, error) {
	switch {
	case r.Type == rules.TypeManual:
		return false, nil
	case r.Type == rules.TypeMetric && r.Aggregate == rules.AggChangeFailureRate:
		return false, nil // joins its window's deploys and failures (rateInputs)
	case r.Type == rules.TypeRatio:
		return true, e.ratioState(ctx, k, r, in)
	case isValueMetric(r):
		return true, e.metricState(ctx, k, r, in)
	}
	return true, e.countState(ctx, k, r, in)
}

func isValueMetric(r *rules.Rule) bool {
	return r.Type == rules.TypeMetric && r.Field != "" && r.Aggregate != rules.AggCountPerWeek && r.Aggregate != rules.AggCountPerMonth
}

func (e *Engine) countState(ctx context.Context, k *store.KRTx, r *rules.Rule, in *rules.Inputs) error {
	n, err := k.Advance(ctx, r.Key, in.From, in.To)
	if err != nil {
		return err
	}
	var rows []store.UnitRow
	if r.Type == rules.TypeMilestone {
		// The oldest units, each by its oldest match: read from the matches'
		// time index, stopping after the evidence limit.
		if in.ReachedAt, err = k.FirstMatch(ctx, r.Key, in.From, in.To); err != nil {
			return err
		}
		rows, err = k.View().Units(ctx, store.UnitQuery{KRKey: r.Key, From: in.From, To: in.To, Oldest: true, Limit: e.evidenceLimit})
	} else {
		rows, err = k.WindowUnits(ctx, r.Key, false, e.evidenceLimit)
	}
	if err != nil {
		return err
	}
	in.Count, in.EvidenceTotal, in.Evidence = n, n, e.unitEvidence(rows)
	return nil
}

func (e *Engine) metricState(ctx context.Context, k *store.KRTx, r *rules.Rule, in *rules.Inputs) error {
	n, err := k.Advance(ctx, r.Key, in.From, in.To)
	if err != nil {
		return err
	}
	newest, err := k.WindowUnits(ctx, r.Key, false, e.evidenceLimit)
	if err != nil {
		return err
	}
	in.Evidence, in.EvidenceTotal = e.unitEvidence(newest), n
	if !rules.SampleAggregate(r.Aggregate) {
		in.Values, err = k.WindowValues(ctx, r.Key, false, -1)
		return err
	}
	s := rules.Sample{N: n, Sorted: map[int]float64{}}
	if n == 0 {
		in.Sample = &s
		return nil
	}
	s.Last = *newest[0].Value
	smallest, err := k.WindowValues(ctx, r.Key, true, rules.SampleListed(n))
	if err != nil {
		return err
	}
	for i, v := range smallest {
		s.Sorted[i] = v
	}
	for _, rank := range rules.SampleRanks(r.Aggregate, n) {
		if _, ok := s.Sorted[rank]; ok {
			continue
		}
		if s.Sorted[rank], err = k.WindowValue(ctx, r.Key, rank, n); err != nil {
			return err
		}
	}
	in.Sample = &s
	return nil
}

func (e *Engine) ratioState(ctx context.Context, k *store.KRTx, r *rules.Rule, in *rules.Inputs) error {
	c, err := k.Ratio(ctx, r.Key)
	if err != nil {
		return err
	}
	issues, err := k.RatioIssues(ctx, r.Key, e.evidenceLimit)
	if err != nil {
		return err
	}
	in.Done, in.Total, in.Canceled, in.EvidenceTotal = c.Done, c.Total, c.Canceled, c.Total
	for _, is := range issues {
		in.Evidence = append(in.Evidence, issueEvidence(is, r.Version, true))
	}
	return nil
}
