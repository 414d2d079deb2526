package trellofake

import (
	"maps"
	"net/http"
	"slices"
)

// Me is the username of the token's member.
const Me = "goalpost-bot"

// memberRoutes adds what `goalpost init` and `doctor` read: the token's
// member and boards, a board, its lists and its members.
func (f *Fake) memberRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /members/me", f.getMe)
	m.HandleFunc("GET /members/me/boards", f.myBoards)
	m.HandleFunc("GET /boards/{id}", f.getBoard)
	m.HandleFunc("GET /boards/{id}/lists", f.boardLists)
	m.HandleFunc("GET /boards/{id}/members", f.boardMembers)
}

func (f *Fake) getMe(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"id": "5a0000000000000000000001", "username": Me, "fullName": "goalpost"})
}

func (f *Fake) myBoards(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(f.boards)) {
		out = append(out, map[string]any{"id": id, "name": f.boards[id], "closed": false})
	}
	writeJSON(w, http.StatusOK, out)
}

// board answers Trello's 404 for an unknown board and reports whether it
// exists.
func (f *Fake) board(w http.ResponseWriter, id string) bool {
	if _, ok := f.boards[id]; !ok {
		http.Error(w, "The requested resource was not found.", http.StatusNotFound)
		return false
	}
	return true
}

func (f *Fake) getBoard(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id := r.PathValue("id"); f.board(w, id) {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": f.boards[id], "closed": false})
	}
}

// boardLists answers the board's lists in creation order (their ids sort
// that way).
func (f *Fake) boardLists(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	if !f.board(w, id) {
		return
	}
	out := []map[string]any{}
	for i, lid := range slices.Sorted(maps.Keys(f.lists[id])) {
		out = append(out, map[string]any{"id": lid, "name": f.lists[id][lid].Name, "closed": false, "idBoard": id, "pos": 16384 * (i + 1)})
	}
	writeJSON(w, http.StatusOK, out)
}

// boardMembers answers the members on the board's cards, by username.
func (f *Fake) boardMembers(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	if !f.board(w, id) {
		return
	}
	var names []string
	for _, c := range f.cards {
		for _, m := range c.Members {
			if c.Board == id && !slices.Contains(names, m) {
				names = append(names, m)
			}
		}
	}
	slices.Sort(names)
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{"id": n, "username": n, "fullName": n})
	}
	writeJSON(w, http.StatusOK, out)
}
