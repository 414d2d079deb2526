package main

import (
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// initPerson is one [[people]] entry, merged from the trackers' users by
// email (Jira, Linear, Asana) and by a code host's login equal to an email's
// local part (GitHub; GitLab and Trello as handles).
type initPerson struct {
	Key, Name, Email, GitHub, Jira, Linear string
	Handles                                []string // "gitlab:…", "trello:…"
}

// people merges the discovered identities into m.People.
func (m *initModel) people() {
	byEmail := map[string]*initPerson{}
	var list []*initPerson
	add := func(name, email string) *initPerson {
		if p := byEmail[strings.ToLower(email)]; email != "" && p != nil {
			return p
		}
		p := &initPerson{Name: name, Email: email}
		if email != "" {
			byEmail[strings.ToLower(email)] = p
		}
		list = append(list, p)
		return p
	}
	if m.Jira != nil {
		for _, u := range m.Jira.People {
			add(u.Name, u.Email).Jira = u.Account
		}
	}
	if m.Linear != nil {
		for _, u := range m.Linear.People {
			add(u.Name, u.Email).Linear = u.ID
		}
	}
	if m.Asana != nil {
		for _, u := range m.Asana.People {
			add(u.Name, u.Email)
		}
	}
	// byLogin files a login with set on the person whose email's local part
	// it is and who has none from that source yet (has), else on a new person.
	byLogin := func(login string, has func(*initPerson) bool, set func(*initPerson)) {
		for _, p := range list {
			if local, _, _ := strings.Cut(p.Email, "@"); !has(p) && strings.EqualFold(local, login) {
				set(p)
				return
			}
		}
		set(add(login, ""))
	}
	if m.GitHub != nil {
		for _, login := range m.GitHub.Logins {
			byLogin(login, func(p *initPerson) bool { return p.GitHub != "" }, func(p *initPerson) { p.GitHub = login })
		}
	}
	handle := func(source string, logins []string) {
		for _, login := range logins {
			has := func(p *initPerson) bool {
				return slices.ContainsFunc(p.Handles, func(h string) bool { return strings.HasPrefix(h, source+":") })
			}
			byLogin(login, has, func(p *initPerson) { p.Handles = append(p.Handles, source+":"+login) })
		}
	}
	if m.GitLab != nil {
		handle("gitlab", m.GitLab.Usernames)
	}
	if m.Trello != nil {
		handle("trello", m.Trello.Usernames)
	}
	used := map[string]int{}
	for _, p := range list {
		base := personKey(p)
		used[base]++
		p.Key = base
		if n := used[base]; n > 1 {
			p.Key = base + "-" + strconv.Itoa(n)
		}
		m.People = append(m.People, *p)
	}
}

// personKey is a lowercase key from the email's local part, else the name.
func personKey(p *initPerson) string {
	src := p.Name
	if local, _, ok := strings.Cut(p.Email, "@"); ok {
		src = local
	}
	var b strings.Builder
	for _, r := range strings.ToLower(src) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	if k := strings.Trim(b.String(), "-"); k != "" {
		return k
	}
	return "person"
}

// examples picks the worked examples' expressions from what was found.
func (m *initModel) examples() {
	m.ShipExample = `kind == "change.shipped"`
	switch {
	case m.GitHub != nil && len(m.GitHub.Repos) > 0:
		m.ShipExample += ` && repo == "` + m.GitHub.Repos[0].Name + `"`
	case m.GitLab != nil && len(m.GitLab.Projects) > 0:
		m.ShipExample += ` && repo == "` + m.GitLab.Projects[0].Path + `"`
	}
	switch {
	case m.Jira != nil && len(m.Jira.Projects) > 0:
		m.RatioScope, m.RatioSourceDoc = "project:"+m.Jira.Projects[0], "jira"
	case m.Asana != nil && len(m.Asana.Projects) > 0:
		m.RatioScope, m.RatioSourceDoc = "project:"+m.Asana.Projects[0].GID, "asana"
	}
}

// tomlString quotes s as a TOML basic string (control characters dropped).
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r != 0x7f:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlList quotes each string of a TOML array.
func tomlList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

var initTmpl = template.Must(template.New("init").Funcs(template.FuncMap{"q": tomlString, "list": tomlList}).Parse(initTemplate))
