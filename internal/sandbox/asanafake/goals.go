package asanafake

import (
	"encoding/json"
	"net/http"
)

// AddGoal adds a goal without a metric.
func (f *Fake) AddGoal(gid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.goals[gid] = &Goal{GID: gid}
}

// Goal returns a copy of the goal.
func (f *Fake) Goal(gid string) (Goal, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.goals[gid]
	if !ok {
		return Goal{}, false
	}
	c := *g
	c.StatusUpdates = append([]StatusUpdate(nil), g.StatusUpdates...)
	return c, true
}

func (f *Fake) renderGoal(g *Goal) map[string]any {
	out := map[string]any{"gid": g.GID, "resource_type": "goal", "metric": nil, "current_status_update": nil}
	if g.HasMetric {
		out["metric"] = map[string]any{"gid": g.GID + "-m", "resource_type": "task", "resource_subtype": "number",
			"precision": 2, "unit": g.Unit, "initial_number_value": g.Initial, "target_number_value": g.Target,
			"current_number_value": g.Current, "progress_source": "manual"}
	}
	if n := len(g.StatusUpdates); n > 0 {
		u := g.StatusUpdates[n-1]
		out["current_status_update"] = map[string]any{"gid": u.GID, "resource_type": "status_update", "title": u.Title, "resource_subtype": "goal_status_update"}
	}
	return out
}

// goalReq decodes {"data": …} and finds the goal, answering the error
// itself when it cannot.
func (f *Fake) goalReq(w http.ResponseWriter, r *http.Request, gid string, into any) (*Goal, bool) {
	if into != nil {
		if err := json.NewDecoder(r.Body).Decode(&struct{ Data any }{into}); err != nil {
			fail(w, http.StatusBadRequest, "Could not parse request data, invalid JSON")
			return nil, false
		}
	}
	g, ok := f.goals[gid]
	if !ok {
		fail(w, http.StatusNotFound, "goal: Unknown object: "+gid)
	}
	return g, ok
}

func (f *Fake) getGoal(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.goalReq(w, r, r.PathValue("gid"), nil); ok {
		writeJSON(w, http.StatusOK, map[string]any{"data": f.renderGoal(g)})
	}
}

type metricReq struct {
	Unit    string   `json:"unit"`
	Initial *float64 `json:"initial_number_value"`
	Target  *float64 `json:"target_number_value"`
	Current *float64 `json:"current_number_value"`
}

// setMetric creates or replaces the metric.
func (f *Fake) setMetric(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m metricReq
	g, ok := f.goalReq(w, r, r.PathValue("gid"), &m)
	if !ok {
		return
	}
	g.HasMetric, g.Unit = true, m.Unit
	for dst, src := range map[*float64]*float64{&g.Initial: m.Initial, &g.Target: m.Target, &g.Current: m.Current} {
		if src != nil {
			*dst = *src
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": f.renderGoal(g)})
}

// setMetricCurrent updates the current value; 400 without a metric.
func (f *Fake) setMetricCurrent(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m metricReq
	g, ok := f.goalReq(w, r, r.PathValue("gid"), &m)
	switch {
	case !ok:
		return
	case !g.HasMetric:
		fail(w, http.StatusBadRequest, "goal: Goal does not have a metric")
		return
	case m.Current == nil:
		fail(w, http.StatusBadRequest, "current_number_value: Missing input")
		return
	}
	g.Current = *m.Current
	writeJSON(w, http.StatusOK, map[string]any{"data": f.renderGoal(g)})
}

// postStatus is POST /status_updates on a goal.
func (f *Fake) postStatus(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var in struct {
		Parent     string `json:"parent"`
		StatusType string `json:"status_type"`
		Title      string `json:"title"`
		Text       string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&struct{ Data any }{&in}); err != nil {
		fail(w, http.StatusBadRequest, "Could not parse request data, invalid JSON")
		return
	}
	switch in.StatusType {
	case "on_track", "at_risk", "off_track", "on_hold", "achieved", "partial", "missed", "dropped":
	default:
		fail(w, http.StatusBadRequest, "status_type: Invalid value")
		return
	}
	g, ok := f.goals[in.Parent]
	if !ok {
		fail(w, http.StatusNotFound, "parent: Unknown object: "+in.Parent)
		return
	}
	u := StatusUpdate{GID: f.gid(), StatusType: in.StatusType, Title: in.Title, Text: in.Text}
	g.StatusUpdates = append(g.StatusUpdates, u)
	w.Header().Set("Location", "/status_updates/"+u.GID)
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{"gid": u.GID, "resource_type": "status_update", "title": u.Title, "status_type": u.StatusType}})
}
