package report

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"tinit/internal/leak"
	"tinit/internal/procview"
	"unicode/utf8"
)

func TestReportJSONDecodes(t *testing.T) {
	r := &Run{
		Command:    []string{"sh", "-c", "sleep 1000 & echo \"hi\"\n"},
		ExitStatus: 3, Started: true, MainPID: 2, MainCode: 3,
		MainMs: 12, DrainMs: 400, TotalMs: 420,
		Leaked: []*leak.Leak{
			{Holder: leak.Holder{Proc: &procview.Proc{PID: 7, PPID: 1, State: "S", Cmdline: []string{"sleep", "1000"}},
				Holds: []leak.Hold{{Stream: "stdout", Fd: 1}, {Stream: "stderr", Fd: 2}}}, Signal: "SIGKILL"},
			{Holder: leak.Holder{Proc: &procview.Proc{PID: 9, PPID: 7, State: "T", Cmdline: []string{"cat"}},
				Feeds: []int{7}, Relay: true}},
		},
	}
	type leak struct {
		PID     int       `json:"pid"`
		PPID    int       `json:"ppid"`
		State   string    `json:"state"`
		Cmdline []string  `json:"cmdline"`
		Cmd64   []*string `json:"cmdline_base64"`
		Holds   []struct {
			Stream string `json:"stream"`
			Fd     int    `json:"fd"`
		} `json:"holds"`
		Feeds  []int   `json:"feeds"`
		Relay  bool    `json:"relay"`
		Signal *string `json:"signal"`
	}
	var got struct {
		Command    []string  `json:"command"`
		Command64  []*string `json:"command_base64"`
		ExitStatus int       `json:"exit_status"`
		Error      *string   `json:"error"`
		MainChild  struct {
			PID      int     `json:"pid"`
			ExitCode *int    `json:"exit_code"`
			Signal   *string `json:"signal"`
		} `json:"main_child"`
		MainMs  int64  `json:"main_ms"`
		DrainMs int64  `json:"drain_ms"`
		TotalMs int64  `json:"total_ms"`
		Leaked  []leak `json:"leaked"`
	}
	b := r.JSON()
	if b[len(b)-1] != '\n' || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("want one line of JSON, got %q", b)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if strings.Join(got.Command, "|") != strings.Join(r.Command, "|") || got.ExitStatus != 3 || got.Error != nil ||
		len(got.Command64) != 3 || got.Command64[0] != nil ||
		got.MainChild.PID != 2 || got.MainChild.ExitCode == nil || *got.MainChild.ExitCode != 3 ||
		got.MainChild.Signal != nil || got.MainMs != 12 || got.DrainMs != 400 || got.TotalMs != 420 {
		t.Fatalf("decoded %+v from %s", got, b)
	}
	if len(got.Leaked) != 2 {
		t.Fatalf("leaked: %+v", got.Leaked)
	}
	l0, l1 := got.Leaked[0], got.Leaked[1]
	if l0.PID != 7 || l0.PPID != 1 || len(l0.Cmd64) != 2 || l0.Cmd64[0] != nil || l0.State != "S" || strings.Join(l0.Cmdline, " ") != "sleep 1000" ||
		len(l0.Holds) != 2 || l0.Holds[0].Stream != "stdout" || l0.Holds[0].Fd != 1 || l0.Holds[1].Stream != "stderr" ||
		l0.Feeds == nil || len(l0.Feeds) != 0 || l0.Relay || l0.Signal == nil || *l0.Signal != "SIGKILL" {
		t.Fatalf("leak 0: %+v from %s", l0, b)
	}
	if l1.PID != 9 || !l1.Relay || len(l1.Feeds) != 1 || l1.Feeds[0] != 7 || l1.Signal != nil || l1.Holds == nil {
		t.Fatalf("leak 1: %+v from %s", l1, b)
	}

	r.MainSignal, r.MainCode, r.Leaked = "SIGTERM", 0, nil
	got.MainChild.ExitCode, got.MainChild.Signal = nil, nil
	got.Leaked = nil
	if err := json.Unmarshal(r.JSON(), &got); err != nil {
		t.Fatal(err)
	}
	if got.MainChild.ExitCode != nil || got.MainChild.Signal == nil || *got.MainChild.Signal != "SIGTERM" ||
		got.Leaked == nil || len(got.Leaked) != 0 {
		t.Fatalf("killed child: %+v from %s", got, r.JSON())
	}
}

func TestReportFdOf(t *testing.T) {
	dir := t.TempDir()
	link := dir + "/out"
	if err := os.Symlink("/dev/fd/7", link); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/dev/stdout": 1, "/dev/stderr": 2, "/dev/fd/3": 3, "/proc/self/fd/12": 12, link: 7, "/dev//stdout": 1} {
		if fd, ok := fdOf(path); !ok || fd != want {
			t.Errorf("%s: %d %v, want %d", path, fd, ok, want)
		}
	}
	for _, path := range []string{dir + "/report.json", "/dev/null", "/dev/fd/x", dir} {
		if fd, ok := fdOf(path); ok {
			t.Errorf("%s: fd %d, want none", path, fd)
		}
	}
}

// FuzzReportJSON: a command line of arbitrary bytes gives one line of JSON
// with no raw control byte in it, whose command is exact where a word is
// UTF-8 and whose command_base64 holds the exact bytes where it is not.
func FuzzReportJSON(f *testing.F) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "tab\tnewline\ncr\r", "\x00\x01\x1f\x7f", "\b\f",
		"<script>&amp;</script>", "h\u00e9llo \u2713", "\u2028\u2029", "bad \xff byte", "\xc3",
		"\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big", "emoji \U0001F600", strings.Repeat("x", 5000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		r := &Run{Command: []string{"sh", word}, ExitStatus: 1, Leaked: []*leak.Leak{
			{Holder: leak.Holder{Proc: &procview.Proc{PID: 7, Cmdline: []string{word}}}}}}
		b := r.JSON()
		if b[len(b)-1] != '\n' || strings.Count(string(b), "\n") != 1 || !utf8.Valid(b) {
			t.Fatalf("want one line of UTF-8 JSON, got %q", b)
		}
		for _, c := range b[:len(b)-1] {
			if c < 0x20 {
				t.Fatalf("raw control byte %#x in %q", c, b)
			}
		}
		var got struct {
			Command       []string  `json:"command"`
			CommandBase64 []*string `json:"command_base64"`
			ExitStatus    int       `json:"exit_status"`
			Error         *string   `json:"error"`
			MainChild     *struct{} `json:"main_child"`
			MainMs        *int64    `json:"main_ms"`
			DrainMs       *int64    `json:"drain_ms"`
			TotalMs       int64     `json:"total_ms"`
			Leaked        []struct {
				Cmdline       []string    `json:"cmdline"`
				CmdlineBase64 []*string   `json:"cmdline_base64"`
				PID           int         `json:"pid"`
				PPID          int         `json:"ppid"`
				State         string      `json:"state"`
				Holds         []leak.Hold `json:"holds"`
				Feeds         []int       `json:"feeds"`
				Relay         bool        `json:"relay"`
				Signal        *string     `json:"signal"`
			} `json:"leaked"`
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if len(got.Command) != 2 || len(got.CommandBase64) != 2 || len(got.Leaked) != 1 ||
			len(got.Leaked[0].Cmdline) != 1 || len(got.Leaked[0].CmdlineBase64) != 1 {
			t.Fatalf("decoded %+v from %s", got, b)
		}
		for _, pair := range [][2]any{{got.Command[1], got.CommandBase64[1]}, {got.Leaked[0].Cmdline[0], got.Leaked[0].CmdlineBase64[0]}} {
			text, b64 := pair[0].(string), pair[1].(*string)
			exact := text
			if b64 != nil {
				raw, err := base64.StdEncoding.DecodeString(*b64)
				if err != nil {
					t.Fatalf("base64 %q: %v", *b64, err)
				}
				exact = string(raw)
			}
			if exact != word || (b64 == nil) != utf8.ValidString(word) {
				t.Fatalf("%q came back as %q (base64 %v)", word, exact, b64 != nil)
			}
		}
	})
}
