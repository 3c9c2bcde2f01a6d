package results

import (
	"bytes"
	"fmt"
	"io"
	"slices"
)

// stream reads a results file from r one value at a time, holding no more
// of it than the value at hand: the decoder reads the top level through
// it, and hands each run's text whole to the run's parser. It reads the
// bytes once: a json.Decoder scanned each run twice (once to find its end,
// once to hand it over), a third of rendering a full history (issue 14).
// Whether a value is well-formed JSON is for its parser to say.
type stream struct {
	r   io.Reader
	buf []byte
	i   int   // buf[i:] is read but not consumed
	nl  int   // the newlines dropped from buf's front
	err error // the reader's error once it had no more (io.EOF)
}

// more drops what was consumed and reads until the buffer is full or the
// reader is done, growing the buffer when the value at hand fills it; it
// reports whether anything came.
func (s *stream) more() bool {
	if s.err != nil {
		return false
	}
	if s.i > 0 {
		s.nl += bytes.Count(s.buf[:s.i], []byte{'\n'})
		s.buf = s.buf[:copy(s.buf, s.buf[s.i:])]
		s.i = 0
	}
	if len(s.buf) == cap(s.buf) {
		s.buf = slices.Grow(s.buf, max(cap(s.buf), 64<<10))
	}
	before := len(s.buf)
	for empty := 0; len(s.buf) < cap(s.buf) && s.err == nil; {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf, s.err = s.buf[:len(s.buf)+n], err
		if n > 0 {
			empty = 0
		} else if empty++; empty > 100 {
			s.err = io.ErrNoProgress
		}
	}
	return len(s.buf) > before
}

// ended is the error for a file that ends inside a value, or the reader's
// own error.
func (s *stream) ended() error {
	if s.err == nil || s.err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return s.err
}

// peek skips white space and returns the next byte; 0 at the end (and
// for a zero byte: atEnd tells them apart).
func (s *stream) peek() byte {
	for {
		for ; s.i < len(s.buf); s.i++ {
			switch c := s.buf[s.i]; c {
			case ' ', '\t', '\r', '\n':
			default:
				return c
			}
		}
		if !s.more() {
			return 0
		}
	}
}

// atEnd reports whether nothing but white space is left.
func (s *stream) atEnd() bool {
	s.peek()
	return s.i >= len(s.buf)
}

// line is the line (from 1) of the next byte.
func (s *stream) line() int {
	return s.nl + bytes.Count(s.buf[:s.i], []byte{'\n'}) + 1
}

// expect consumes the byte c, next after white space.
func (s *stream) expect(c byte, what string) error {
	switch got := s.peek(); {
	case got == c:
		s.i++
		return nil
	case s.atEnd():
		return s.ended()
	default:
		return fmt.Errorf("found %q, want %s", got, what)
	}
}

// value returns the next value's text and moves past it. The text is good
// until the stream is read again.
func (s *stream) value() ([]byte, error) {
	if s.atEnd() {
		return nil, s.ended()
	}
	for {
		end, complete := valueEnd(s.buf, s.i)
		if !complete && s.more() {
			continue // s.i is 0 now: look again from the value's start
		}
		if !complete && !literal(s.buf[s.i]) {
			return nil, s.ended()
		}
		text := s.buf[s.i:end]
		s.i = end
		return text, nil
	}
}

// list walks a list (or null), calling each at every element with its
// index; each reads the element.
func (s *stream) list(what string, each func(i int) error) error {
	if s.peek() == 'n' {
		text, err := s.value()
		if err == nil && string(text) != "null" {
			err = fmt.Errorf("%s: %s is not a list", what, text)
		}
		return err
	}
	if err := s.expect('[', what+": a list"); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for i := 0; ; i++ {
		if err := each(i); err != nil {
			return err
		}
		if err := s.expect(',', "a comma"); err == nil {
			continue
		}
		return s.expect(']', fmt.Sprintf("a comma or the end of %s", what))
	}
}

// literal reports whether a value starting with c is a number, true, false
// or null: one that only the end of its text ends.
func literal(c byte) bool {
	return c != '"' && c != '{' && c != '['
}
