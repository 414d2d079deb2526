package transport

import (
	"bytes"
	"io"
	"net/http"
)

// peekLimit bounds how much of a body a classifier may look at.
const peekLimit = 64 << 10

// peeker lets a classifier read the start of a response body while leaving
// the whole body readable for the caller.
type peeker struct {
	resp *http.Response
	buf  []byte
	done bool
}

func newPeeker(resp *http.Response) *peeker { return &peeker{resp: resp} }

func (p *peeker) peek() []byte {
	if p.done {
		return p.buf
	}
	p.done = true
	if p.resp.Body == nil {
		return nil
	}
	p.buf, _ = io.ReadAll(io.LimitReader(p.resp.Body, peekLimit))
	p.resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(p.buf), p.resp.Body), p.resp.Body}
	return p.buf
}
