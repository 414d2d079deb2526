package people

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/rules/calendar"
)

// Directory looks people up by their handles in each source. It is
// immutable once built and safe for concurrent use.
type Directory struct {
	people     []Person          // sorted by key
	byKey      map[string]int    // key → index in people
	handles    map[string]string // source + "\x00" + lower(handle) → key
	emails     map[string]string // lower(email) → key
	teams      map[string]Team
	teamNames  []string
	locs       map[string]*time.Location // person key → location
	teamLocs   map[string]*time.Location
	starts     map[string]time.Weekday // team name → week start
	tenures    map[string]tenure       // person key → start, end and away weeks
	defaultLoc *time.Location
}

// Option configures New.
type Option func(*Directory)

// WithDefaultLocation sets the time zone of people and teams that name none
// (default UTC).
func WithDefaultLocation(loc *time.Location) Option {
	return func(d *Directory) { d.defaultLoc = loc }
}

// New builds the directory, checking it like Validate. It does no I/O
// besides reading time zone data.
func New(persons []Person, teams []Team, opts ...Option) (*Directory, error) {
	d := &Directory{
		byKey: map[string]int{}, handles: map[string]string{}, emails: map[string]string{},
		teams: map[string]Team{}, locs: map[string]*time.Location{}, teamLocs: map[string]*time.Location{},
		starts: map[string]time.Weekday{}, tenures: map[string]tenure{}, defaultLoc: time.UTC,
	}
	for _, o := range opts {
		o(d)
	}
	errs := d.addTeams(teams)
	for i, p := range persons {
		errs = append(errs, d.addPerson(i, p, len(teams) > 0)...)
	}
	errs = append(errs, checkManagers(persons)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(d.people, func(i, j int) bool { return d.people[i].Key < d.people[j].Key })
	for i, p := range d.people {
		d.byKey[p.Key] = i
	}
	return d, nil
}

func (d *Directory) addTeams(teams []Team) []error {
	var errs []error
	for i, t := range teams {
		p := fmt.Sprintf("teams[%d]", i)
		if _, dup := d.teams[t.Name]; dup || strings.TrimSpace(t.Name) == "" {
			errs = append(errs, confval.Fieldf(p+".name", "required and unique, got %q", t.Name))
			continue
		}
		d.teams[t.Name] = t
		d.teamNames = append(d.teamNames, t.Name)
		loc, err := d.loadOr(t.TimeZone)
		if err != nil {
			errs = append(errs, confval.Field(p+".time_zone", err))
		}
		d.teamLocs[t.Name] = loc
		wd, err := calendar.ParseWeekday(t.WeekStart)
		if err != nil {
			errs = append(errs, confval.Field(p+".week_start", err))
		}
		d.starts[t.Name] = wd
	}
	sort.Strings(d.teamNames)
	return errs
}

func (d *Directory) addPerson(i int, p Person, teamsDefined bool) []error {
	path := fmt.Sprintf("people[%d]", i)
	var errs []error
	if _, dup := d.locs[p.Key]; dup || strings.TrimSpace(p.Key) == "" {
		return []error{confval.Fieldf(path+".key", "required and unique, got %q", p.Key)}
	}
	if _, ok := d.teams[p.Team]; p.Team != "" && teamsDefined && !ok {
		errs = append(errs, confval.Fieldf(path+".team", "unknown team %q (define it under [[teams]])", p.Team))
	}
	loc := d.teamLocs[p.Team]
	if p.TimeZone != "" || loc == nil {
		var err error
		if loc, err = d.loadOr(p.TimeZone); err != nil {
			errs = append(errs, confval.Field(path+".time_zone", err))
		}
	}
	d.locs[p.Key] = loc
	t, terrs := parseTenure(path, p, loc)
	d.tenures[p.Key] = t
	errs = append(errs, terrs...)
	errs = append(errs, d.claimHandles(path, p)...)
	d.people = append(d.people, p)
	return errs
}

// claimHandles files p's handles, refusing one another person already has.
func (d *Directory) claimHandles(path string, p Person) []error {
	var errs []error
	claim := func(field, source, handle string) {
		if handle == "" {
			return
		}
		k := source + "\x00" + strings.ToLower(handle)
		if other, dup := d.handles[k]; dup {
			errs = append(errs, confval.Fieldf(path+"."+field, "%s handle %q is already %s's", source, handle, other))
			return
		}
		d.handles[k] = p.Key
	}
	claim("github", "github", p.GitHub)
	claim("jira", "jira", p.Jira)
	claim("linear", "linear", p.Linear)
	for _, h := range p.Handles {
		src, handle, ok := strings.Cut(h, ":")
		if !ok || src == "" || handle == "" {
			errs = append(errs, confval.Fieldf(path+".handles", "want source:handle, got %q", h))
			continue
		}
		claim("handles", src, handle)
	}
	if p.Email != "" {
		if other, dup := d.emails[strings.ToLower(p.Email)]; dup {
			errs = append(errs, confval.Fieldf(path+".email", "email %q is already %s's", p.Email, other))
		}
		d.emails[strings.ToLower(p.Email)] = p.Key
	}
	return errs
}

func (d *Directory) loadOr(name string) (*time.Location, error) {
	if name == "" {
		return d.defaultLoc, nil
	}
	loc, err := LoadLocation(name)
	if err != nil {
		return d.defaultLoc, err
	}
	return loc, nil
}

// LoadLocation loads an IANA time zone, with an error that names it.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q: want an IANA name such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name such as Europe/Berlin)", name)
	}
	return loc, nil
}

// Lookup finds the person behind a handle in a source: the source's own
// identity (github login, jira accountId, linear user id, or a
// "source:handle" alias), else the email address, else — for deploy hooks,
// which usually carry a GitHub login — the GitHub login. Case-insensitive.
func (d *Directory) Lookup(source, handle string) (Person, bool) {
	if d == nil || handle == "" {
		return Person{}, false
	}
	h := strings.ToLower(handle)
	key, ok := d.handles[source+"\x00"+h]
	if !ok {
		key, ok = d.emails[h]
	}
	if !ok && !slices.Contains([]string{"github", "jira", "linear", "asana", "trello"}, source) {
		key, ok = d.handles["github\x00"+h]
	}
	if !ok {
		return Person{}, false
	}
	return d.people[d.byKey[key]], true
}

// Person returns the person with the given key.
func (d *Directory) Person(key string) (Person, bool) {
	if d == nil {
		return Person{}, false
	}
	i, ok := d.byKey[key]
	if !ok {
		return Person{}, false
	}
	return d.people[i], true
}

// People returns everyone, sorted by key.
func (d *Directory) People() []Person {
	if d == nil {
		return nil
	}
	return append([]Person(nil), d.people...)
}

// Team returns the team with the given name.
func (d *Directory) Team(name string) (Team, bool) {
	if d == nil {
		return Team{}, false
	}
	t, ok := d.teams[name]
	return t, ok
}

// Teams returns the team names, sorted.
func (d *Directory) Teams() []string {
	if d == nil {
		return nil
	}
	return append([]string(nil), d.teamNames...)
}

// Calendar is the person's calendar: their time zone (else their team's,
// else the default) with their team's week start (Monday by default).
func (d *Directory) Calendar(personKey string) calendar.Calendar {
	if d == nil {
		return calendar.UTC
	}
	p, _ := d.Person(personKey)
	loc, ok := d.locs[personKey]
	if !ok || loc == nil {
		loc = d.defaultLoc
	}
	return calendar.New(loc, d.weekStart(p.Team))
}

// TeamCalendar is the team's calendar: its time zone (else the default)
// and week start (Monday by default). Team "" is everyone: the default zone
// with Monday weeks.
func (d *Directory) TeamCalendar(team string) calendar.Calendar {
	if d == nil {
		return calendar.UTC
	}
	loc, ok := d.teamLocs[team]
	if !ok || loc == nil {
		loc = d.defaultLoc
	}
	return calendar.New(loc, d.weekStart(team))
}

func (d *Directory) weekStart(team string) time.Weekday {
	if wd, ok := d.starts[team]; ok {
		return wd
	}
	return time.Monday
}

// checkManagers reports managers that are no person's key, or the person
// themself.
func checkManagers(persons []Person) []error {
	keys := map[string]bool{}
	for _, p := range persons {
		keys[p.Key] = true
	}
	var errs []error
	for i, p := range persons {
		if p.Manager != "" && (!keys[p.Manager] || p.Manager == p.Key) {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("people[%d].manager", i), "want another person's key, got %q", p.Manager))
		}
	}
	return errs
}
