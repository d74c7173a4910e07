package main

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds the parser arbitrary words and environments. It must never
// panic, must fail only with a usageError (exit 125 with the --help hint),
// and a run it accepts must have a command taken from the end of the words.
// args holds the words separated by NUL, env holds KEY=VALUE lines.
func FuzzParse(f *testing.F) {
	f.Add("sh\x00-c\x00exit 3", "")
	f.Add("-vvw\x00-e3\x00--\x00--\x00true", "TINIT_REMAP_EXIT=1,2")
	f.Add("--kill-after=1s\x00--grace\x00-1s\x00x", "TINIT_PGROUP=maybe")
	f.Add("-p\x00SIGKILL\x00--report=\x00x", "TINIT_VERBOSITY=9")
	f.Add("-r\x0015:3\x00--rewrite=usr1:0\x00x", "TINIT_REWRITE=TERM:QUIT,2:0")
	f.Add("-vP", "TINIT_REWRITE=CHLD:1")
	f.Fuzz(func(t *testing.T, args, env string) {
		words := strings.Split(args, "\x00")
		vars := map[string]string{}
		for _, line := range strings.Split(env, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				vars[k] = v
			}
		}
		cfg, act, err := parse(words, func(k string) string { return vars[k] })
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("parse(%q) failed with %T %v, not a usageError", words, err, err)
			}
			if err.Error() == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("parse(%q): error %q is not one line", words, err.Error())
			}
			return
		}
		if act != actRun {
			return
		}
		if (len(cfg.Argv) == 0) != cfg.Pause || len(cfg.Argv) > len(words) || !slices.Equal(cfg.Argv, words[len(words)-len(cfg.Argv):]) {
			t.Fatalf("parse(%q): argv %q is not a tail of the words, empty exactly with -P", words, cfg.Argv)
		}
		for from, to := range cfg.Rewrite {
			if from < 1 || from > 64 || to < 0 || to > 64 {
				t.Fatalf("parse(%q): rewrite %d:%d out of range", words, from, to)
			}
		}
		if cfg.Verbosity < 0 || cfg.KillAfter < 0 || cfg.Grace < 0 || cfg.Pdeathsig < 0 || cfg.Pdeathsig > 64 {
			t.Fatalf("parse(%q): out-of-range config %+v", words, cfg)
		}
	})
}
