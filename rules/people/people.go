// Package people is the directory of the humans goalpost reports on: one
// person across GitHub, Jira and Linear, with a time zone and a team. It maps
// a (source, handle) pair to a person, says which local week an instant falls
// in for that person, and never drops a handle it cannot map: callers report
// those as unmapped.
package people

import (
	"strings"
	_ "time/tzdata" // time zones work on hosts without zoneinfo files
)

// Person is one [[people]] entry.
type Person struct {
	Key      string `toml:"key"`
	Name     string `toml:"name"`
	Email    string `toml:"email"`
	GitHub   string `toml:"github"`
	Jira     string `toml:"jira"`   // accountId
	Linear   string `toml:"linear"` // user id
	TimeZone string `toml:"time_zone"`
	Team     string `toml:"team"`
	// Role is "engineer" (the default) or anything else ("manager",
	// "designer"): only engineers are held to the weekly shipping baseline.
	Role string `toml:"role"`
	// Handles are further identities as "source:handle" (e.g.
	// "github:old-login", "deploy:alice-bot").
	Handles []string `toml:"handles"`
	// Manager is the key of the person's manager: a Slack app nudge this
	// person opted in to also goes to the manager, privately (default none).
	Manager string `toml:"manager"`
	// Start and End ("2026-10-12") bound the person's time on the team, in
	// their time zone: a week that starts before Start, or ends after End,
	// is "no data" in the weekly baseline, never a miss (default: always).
	Start string `toml:"start"`
	End   string `toml:"end"`
	// Away are ISO weeks ("2026-W47") the person was away: neither misses
	// nor silent (`goalpost away PERSON WEEK` records more in the store).
	Away []string `toml:"away"`
}

// Engineer reports whether p is held to the weekly shipping baseline.
func (p Person) Engineer() bool {
	role := strings.TrimSpace(p.Role)
	return role == "" || strings.EqualFold(role, RoleEngineer)
}

// RoleEngineer is the default role.
const RoleEngineer = "engineer"

// Team is one [[teams]] entry.
type Team struct {
	Name      string `toml:"name"`
	TimeZone  string `toml:"time_zone"`
	WeekStart string `toml:"week_start"` // monday (default) .. sunday
}
