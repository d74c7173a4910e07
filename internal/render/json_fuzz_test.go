package render

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzMarshalLine: any string and any integers come out byte for byte as
// encoding/json.Marshal writes them, alone and inside a struct.
func FuzzMarshalLine(f *testing.F) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f", "<script>&amp;</script>",
		"\u2028\u2029", "\u0085\u009b\u202e", "bad \xff byte", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xc0\xaf", "\ufffd", "emoji \U0001F600",
	} {
		f.Add(s, int64(-1), uint64(1))
	}
	f.Add("", int64(-9223372036854775808), uint64(18446744073709551615))
	f.Fuzz(func(t *testing.T, s string, n int64, u uint64) {
		type inner struct {
			S string `json:"s"`
			U uint64 `json:"u"`
		}
		type row struct {
			inner
			Words []string `json:"words"`
			N     *int64   `json:"n"`
			Skip  string   `json:"skip,omitempty"`
			Flag  bool     `json:"flag,omitempty"`
			In    inner    `json:"in"`
		}
		for _, v := range []any{s, &row{inner{s, u}, []string{s, s}, &n, s, n < 0, inner{s, u}}} {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got := MarshalLine(v); fffd(string(got)) != fffd(string(want)+"\n") {
				t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
			}
		}
	})
}

// fffd writes U+FFFD as the escape \ufffd. An invalid byte is U+FFFD in
// JSON: encoding/json of Go 1.26, and MarshalLine, write the escape, newer
// encoding/json writes the character itself; both read back the same.
func fffd(s string) string { return strings.ReplaceAll(s, "\uFFFD", `\ufffd`) }
