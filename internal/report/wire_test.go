package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"tinit/internal/leak"
	"tinit/internal/render"
)

// hostile is every string the wire structs must carry exactly as
// encoding/json writes it: every ASCII byte, HTML's <>&, JavaScript's
// line and paragraph separators, C1 controls, and invalid UTF-8 of each
// kind (a lone continuation, a cut sequence, a surrogate, past U+10FFFF,
// an overlong form), next to a valid U+FFFD that must stay as it is.
func hostile() []string {
	var every strings.Builder
	for c := range 0x80 {
		every.WriteByte(byte(c))
	}
	out := []string{"", every.String(), `"\`, "<script>&amp;</script>", "\u2028\u2029x\u2027\u202a",
		"\u0085\u009b\u00a0\ufeff\u202e", "\x80", "\xff\xfe", "end\xc3", "\xe2\x80", "\xed\xa0\x80 surrogate",
		"\xf4\x90\x80\x80 too big", "\xc0\xaf overlong", "\ufffd real", "emoji \U0001F600", "h\u00e9llo \u2713",
		strings.Repeat("\x1b[31m<&>", 300)}
	for c := range 0x20 {
		out = append(out, string([]byte{'a', byte(c), 'b'}))
	}
	return out
}

// wire is every struct the code gives render.MarshalLine, filled with s
// in every string, extreme integers, and both nil and empty slices and
// pointers.
func wire(s string, n int) []any {
	i64 := int64(n)
	big, small := math.MaxInt, math.MinInt
	hold := []leak.Hold{{Stream: s, Fd: n}, {}}
	holding := Holding{Holds: hold, Feeds: []int{n, big, small, 0}, Relay: n%2 == 0}
	proc := PsProc{PID: n, State: s, AgeMs: i64, Comm: s, Cmdline: []string{s, "", s}}
	return []any{
		&reportJSON{},
		&reportJSON{Command: []string{}, CommandBase64: []*string{}, Leaked: []leakJSON{}},
		&reportJSON{
			Command: []string{s, s}, CommandBase64: []*string{nil, &s}, ExitStatus: n, Error: &s,
			MainChild: &mainChildJSON{PID: n, ExitCode: &big, Signal: &s}, MainMs: &i64, DrainMs: new(int64),
			TotalMs: math.MinInt64,
			Leaked: []leakJSON{
				{PID: n, PPID: small, State: s, Cmdline: []string{s}, CmdlineBase64: []*string{&s}, Holding: holding, FdsUnreadable: true, Signal: &s},
				{Holding: Holding{Holds: []leak.Hold{}, Feeds: []int{}}},
				{},
			},
		},
		&mainChildJSON{}, &leakJSON{}, &Holding{}, &holding, &hold[0],
		&Ps{},
		&Ps{Streams: []PsStream{}, MainChild: &PsMain{}, Processes: []PsRow{}},
		&Ps{
			Tinit:   proc,
			Streams: []PsStream{{Name: s, Fd: n, Inode: math.MaxUint64, Holders: []int{n}}, {Holders: []int{}}, {}},
			Pause:   true, MainChild: &PsMain{Exited: true, PID: &n, AgeMs: &i64},
			Processes: []PsRow{{PsProc: proc, PPID: n, Depth: big, MainChild: true, Orphan: true, Holding: holding}, {}},
			Summary:   s,
		},
		&PsMain{}, &PsProc{}, &PsRow{}, &PsStream{},
		// MarshalLine is given pointers, but a value must come out the same.
		holding, proc,
	}
}

// TestWireJSONIsEncodingJSON: render writes every wire struct byte for
// byte as encoding/json.Marshal does, so docs/output.md and docs/ps.md,
// which describe encoding/json's output, stay true without it.
func TestWireJSONIsEncodingJSON(t *testing.T) {
	for _, s := range hostile() {
		for _, n := range []int{0, 1, -1, 7, math.MaxInt, math.MinInt} {
			for _, v := range wire(s, n) {
				want, err := json.Marshal(v)
				if err != nil {
					t.Fatalf("%T: %v", v, err)
				}
				want = append(want, '\n')
				// An invalid byte is U+FFFD: Go 1.26's encoding/json and
				// MarshalLine write the escape, newer ones the character.
				if got := render.MarshalLine(v); fffd(string(got)) != fffd(string(want)) {
					t.Fatalf("%T with %q, %d:\n got %s\nwant %s", v, s, n, got, want)
				}
			}
		}
	}
}

func fffd(s string) string { return strings.ReplaceAll(s, "\uFFFD", `\ufffd`) }
