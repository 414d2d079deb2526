// Package people is the directory of the humans goalpost reports on: one
// person across GitHub, Jira and Linear, with a time zone and a team.
package people

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
}

// Team is one [[teams]] entry.
type Team struct {
	Name      string `toml:"name"`
	TimeZone  string `toml:"time_zone"`
	WeekStart string `toml:"week_start"` // monday (default) .. sunday
}
