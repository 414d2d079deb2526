// Package report drafts each team's weekly check-in from the evidence and
// delivers it once a week.
//
// A Report holds, for one team and one ISO week (2026-W47, placed in the
// team's time zone and week start by a calendar.Calendar): every key result with
// "Current X / Target Y", status, progress, what moved this week (delta and
// the items that moved it) and blockers; then the wins (changes that reached
// production), the shipped-to-production baseline grid, two-in-a-row misses,
// silence, unmapped identities, and a placeholder for the owners' narrative.
//
//	engine ──Source──> Build ──> Report ──Render──> md | html | json | slack
//	                     │                    └──Sender──> stdout, file, Slack, Notion
//	        Builder: frozen snapshot per (team, week) once the week has ended
//	        Scheduler: day/time per team, one outbox row per (team, week, destination)
//
// Build is pure; Builder adds the frozen snapshots (store.Store), so a past
// week's report never changes; Scheduler sends each team's report for the
// week that just ended at the configured local day and time by queueing it
// in the outbox, which the writeback sender drains with the key-result
// writes, resuming after restarts from the progress kept in the row (see
// Scheduler for the exact guarantee, ADR 0009). Output is deterministic: every list is sorted, so golden files
// hold.
package report
