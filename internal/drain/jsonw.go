package drain

import (
	"strconv"
	"unicode/utf8"
)

// A hand-written JSON writer: encoding/json and the reflection under it
// would cost a fifth of tinit's size budget for two small, fixed shapes.

// jobj writes one JSON object, field by field, in the order given.
type jobj struct {
	b []byte
	n int
}

func newObj(b []byte) *jobj { return &jobj{b: append(b, '{')} }

func (o *jobj) key(k string) *jobj {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
	return o
}

func (o *jobj) str(k, v string) *jobj { o.key(k); o.b = appendJSONString(o.b, v); return o }
func (o *jobj) int(k string, v int64) *jobj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}
func (o *jobj) bool(k string, v bool) *jobj { o.key(k); o.b = strconv.AppendBool(o.b, v); return o }
func (o *jobj) null(k string) *jobj         { o.key(k); o.b = append(o.b, "null"...); return o }

// raw adds a value the caller already encoded.
func (o *jobj) raw(k string, v []byte) *jobj { o.key(k); o.b = append(o.b, v...); return o }

func (o *jobj) end() []byte { return append(o.b, '}') }

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendInts(b []byte, ns []int) []byte {
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, ']')
}

// appendJSONString quotes s for JSON. Bytes that are not UTF-8 (a command
// line can hold any) become U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
