package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Backfill loads history since the given date once, in the fewest requests
// the API allows: pull requests (updated since, newest first, 100 per page),
// releases, deployments created since with one status listing each and one
// compare per successful production deploy (the first one attributed back to
// since), and deploy-workflow runs created since. Facts older than since are
// not published. Cursors end where a regular poll continues. progress gets a
// progress bar when it is a terminal (pass os.Stderr); otherwise nothing is
// written. It is what `goalpost sync --since DATE` calls.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress io.Writer) error {
	if since.IsZero() {
		return errors.New("backfill: a start date is required")
	}
	bar := newProgressBar(progress)
	err := s.poll(ctx, pollMode{backfill: true, since: since, repoDone: bar.step})
	bar.finish(err)
	s.Health.Set(err)
	return err
}

// progressBar draws "[#####.....] 3/7 repositories" on a terminal.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer // nil when not a terminal
	done  int
	start time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progressBar{}
	}
	return &progressBar{w: w, start: time.Now()}
}

func (p *progressBar) step(total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	const width = 30
	n := width * p.done / max(total, 1)
	fmt.Fprintf(p.w, "\rgithub backfill [%s%s] %d/%d repositories",
		strings.Repeat("#", n), strings.Repeat(".", width-n), p.done, total)
}

func (p *progressBar) finish(err error) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	state := "done"
	if err != nil {
		state = "finished with errors"
	}
	fmt.Fprintf(p.w, "\ngithub backfill %s in %s\n", state, time.Since(p.start).Round(time.Second))
}
