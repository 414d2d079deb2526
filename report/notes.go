package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/rules/calendar"
)

// PageNotes reads what owners wrote under the check-ins of their key
// results' pages (*notion.Sink).
type PageNotes interface {
	// ReadNotes returns the notes of each page in pages (the keys of the
	// answer) whose content may have changed since since (zero: every
	// page); a page without a check-in is left out, one whose notes are
	// empty maps to "". It only reads, blocks within the service's rate
	// limit, and may be called again after an error.
	ReadNotes(ctx context.Context, pages []string, since time.Time) (map[string]string, error)
}

// NoteKeeper keeps the owners' notes and the reader's cursor
// (*store.Store). Every call blocks on the store.
type NoteKeeper interface {
	SetNote(ctx context.Context, n store.Note) error
	// LatestNote returns the key result's latest note from source, or an
	// error wrapping store.ErrNotFound.
	LatestNote(ctx context.Context, krKey, source string) (store.Note, error)
	Cursor(ctx context.Context, source, key string) (string, error)
	SetCursor(ctx context.Context, source, key, value string) error
}

// NotePage ties a key result to the page its owner writes notes on, and to
// the team whose calendar says which week a note is for.
type NotePage struct{ KR, Page, Team string }

// The reader's cursor: the start of its last round, RFC 3339.
const (
	notesCursorSource = store.NoteFromNotion
	notesCursorKey    = "notes"
)

// NotesReader copies the owners' notes from their pages into the store
// (ADR 56): a text that differs from the last one read from the page is
// stored as the key result's note for the current week of its team, with
// source "notion", at the moment it was read; an unchanged text is not
// stored again, so last week's notes do not become this week's. A note
// set with `goalpost note` and one read from the page are ordered by when
// goalpost learnt them: the latest wins for the week. Use one reader per
// store at a time (the daemon holds a lease).
type NotesReader struct {
	b     *Builder
	pages PageNotes
	keep  NoteKeeper
	krs   []NotePage
	now   func() time.Time
	log   *slog.Logger
}

// NewNotesReader returns a reader of krs' pages. It does no I/O.
func NewNotesReader(b *Builder, pages PageNotes, keep NoteKeeper, krs []NotePage, now func() time.Time, log *slog.Logger) *NotesReader {
	return &NotesReader{b: b, pages: pages, keep: keep, krs: krs, now: now, log: log}
}

// ReadOnce runs one round: it asks for the pages changed since the last
// round (every page the first time), stores the notes that changed and
// moves the cursor. It returns how many notes it stored. On error the
// cursor stays, so the next round asks again.
func (r *NotesReader) ReadOnce(ctx context.Context) (int, error) {
	if len(r.krs) == 0 {
		return 0, nil
	}
	start := r.now()
	since, err := r.since(ctx)
	if err != nil {
		return 0, err
	}
	var pages []string
	for _, k := range r.krs {
		pages = append(pages, k.Page)
	}
	slices.Sort(pages)
	notes, err := r.pages.ReadNotes(ctx, slices.Compact(pages), since)
	if err != nil {
		return 0, fmt.Errorf("read notes: %w", err)
	}
	stored := 0
	for _, k := range r.krs {
		text, ok := notes[k.Page]
		if !ok {
			continue
		}
		changed, err := r.store(ctx, k, text, start)
		if err != nil {
			return stored, err
		}
		if changed {
			stored++
		}
	}
	if err := r.keep.SetCursor(ctx, notesCursorSource, notesCursorKey, start.UTC().Format(time.RFC3339)); err != nil {
		return stored, err
	}
	if stored > 0 {
		r.log.Info("owners' notes read from notion", "stored", stored)
	}
	return stored, nil
}

func (r *NotesReader) since(ctx context.Context) (time.Time, error) {
	v, err := r.keep.Cursor(ctx, notesCursorSource, notesCursorKey)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		r.log.Warn("notes cursor unreadable; reading every page", "cursor", v)
		return time.Time{}, nil
	}
	return t, nil
}

// store keeps text as k's note unless it is the text last read.
func (r *NotesReader) store(ctx context.Context, k NotePage, text string, at time.Time) (bool, error) {
	last, err := r.keep.LatestNote(ctx, k.KR, store.NoteFromNotion)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if last.Body == text {
		return false, nil
	}
	week, err := r.b.CurrentWeek(k.Team, at)
	if err != nil {
		return false, err
	}
	n := store.Note{KRKey: k.KR, Week: week.String(), Body: text, Source: store.NoteFromNotion, SetAt: at}
	return true, r.keep.SetNote(ctx, n)
}

// CurrentWeek is the week containing t in team's calendar, or in the
// first team's when team is not one (a key result of no team): the week a
// note is for when none is named.
func (b *Builder) CurrentWeek(team string, t time.Time) (calendar.Week, error) {
	if _, err := b.Team(team); err != nil {
		team = b.names[0]
	}
	return b.WeekOf(team, t)
}
