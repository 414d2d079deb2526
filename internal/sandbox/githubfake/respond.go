package githubfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// respond writes v as JSON with status. A GET answered 200 carries a weak
// ETag of its body; a matching If-None-Match turns it into a 304 without a
// body, which uses no quota.
func (f *Fake) respond(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	h := w.Header()
	if r.Method == http.MethodGet && status == http.StatusOK {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			f.spend(w, true)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	f.spend(w, false)
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// etagMatch compares If-None-Match against etag with the weak comparison
// RFC 9110 prescribes for If-None-Match.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// fail writes a GitHub error body, using quota like the real API.
func (f *Fake) fail(w http.ResponseWriter, status int, msg string) {
	f.spend(w, false)
	writeError(w, status, msg)
}

func (f *Fake) notFound(w http.ResponseWriter) { f.fail(w, http.StatusNotFound, "Not Found") }

// page is one page of a page-numbered listing.
type page struct {
	start, end int // slice bounds
	links      string
}

// paginate cuts n items into the page the request asks for (per_page default
// 30, at most 100) and builds GitHub's Link header (first, prev, next, last).
func paginate(r *http.Request, n int) page {
	perPage := intParam(r, "per_page", 30)
	perPage = min(max(perPage, 1), 100)
	pg := max(intParam(r, "page", 1), 1)
	last := max((n+perPage-1)/perPage, 1)
	start := min((pg-1)*perPage, n)
	end := min(start+perPage, n)
	var links []string
	link := func(p int, rel string) {
		links = append(links, fmt.Sprintf(`<%s>; rel="%s"`, pageURL(r, "page", strconv.Itoa(p), perPage), rel))
	}
	if pg < last {
		link(pg+1, "next")
		link(last, "last")
	}
	if pg > 1 {
		link(1, "first")
		link(min(pg-1, last), "prev")
	}
	return page{start: start, end: end, links: strings.Join(links, ", ")}
}

// pageURL is the absolute URL of the request with key set to value and
// per_page kept, as GitHub writes its Link headers.
func pageURL(r *http.Request, key, value string, perPage int) string {
	q := r.URL.Query()
	q.Set(key, value)
	q.Set("per_page", strconv.Itoa(perPage))
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	prefix, _ := r.Context().Value(prefixKey{}).(string)
	u := url.URL{Scheme: scheme, Host: r.Host, Path: prefix + r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func setLinks(w http.ResponseWriter, links string) {
	if links != "" {
		w.Header().Set("Link", links)
	}
}

func intParam(r *http.Request, key string, def int) int {
	v, err := strconv.Atoi(r.URL.Query().Get(key))
	if err != nil {
		return def
	}
	return v
}

// pageOf returns the requested page of items and sets the Link header.
func pageOf[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	p := paginate(r, len(items))
	setLinks(w, p.links)
	out := items[p.start:p.end]
	if out == nil {
		out = []T{}
	}
	return out
}
