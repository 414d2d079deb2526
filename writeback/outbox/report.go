package outbox

import (
	"encoding/json"
	"fmt"
)

// ReportVersion is the version of Report this goalpost writes and reads
// (see UpdateVersion for when to bump it).
const ReportVersion = 1

// Report is what the report sink receives: one team's weekly report for one
// finished week, to one destination. It names the report rather than
// carrying it: the report is frozen in the store the first time it is built,
// so every attempt sends the same one.
type Report struct {
	Version     int    `json:"v"`
	Team        string `json:"team"` // "" when no teams are configured
	Week        string `json:"week"` // ISO week, e.g. 2026-W47
	Destination string `json:"destination"`
}

// Target is where r goes: {report <destination> <week>/<team>}. The outbox
// keeps one row per target, so each team's report for a week reaches each
// destination once.
func (r Report) Target() Target {
	return Target{Service: ServiceReport, Kind: r.Destination, ID: r.Week + "/" + r.Team}
}

// Encode returns r as stored in the outbox, with the current version.
func (r Report) Encode() ([]byte, error) {
	r.Version = ReportVersion
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode report delivery: %w", err)
	}
	return b, nil
}

// DecodeReport reads an outbox payload written by Report.Encode. A payload
// of another version is an error that says so.
func DecodeReport(b []byte) (Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return Report{}, fmt.Errorf("decode report delivery: %w", err)
	}
	if r.Version != ReportVersion {
		return Report{}, fmt.Errorf("decode report delivery %s/%s: version %d, this goalpost reads version %d", r.Team, r.Week, r.Version, ReportVersion)
	}
	return r, nil
}

// Progress is how far a send in several parts got (a weekly report: Slack
// messages, Notion blocks): the parts confirmed delivered and the
// destination's reference (a Notion page id, a file path). The outbox keeps
// it with the row, so a retry or a restart resumes after the last confirmed
// part.
type Progress struct {
	Parts int
	Ref   string
}
