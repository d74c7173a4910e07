package main

import "testing"

// TestCoreParseTiniEnvironment: the variables images made for docker's
// --init set mean what they mean to tini; TINIT_* wins over TINI_*, and a
// flag over both.
func TestCoreParseTiniEnvironment(t *testing.T) {
	cases := []struct {
		env       []string
		args      []string
		pgroup    bool
		verbosity int
	}{
		{[]string{"TINI_SUBREAPER", "1"}, nil, false, 0},
		{[]string{"TINI_SUBREAPER", "anything"}, nil, false, 0},
		{[]string{"TINI_KILL_PROCESS_GROUP", "1"}, nil, true, 0},
		// tini only asks whether it is set.
		{[]string{"TINI_KILL_PROCESS_GROUP", "0"}, nil, true, 0},
		{[]string{"TINI_KILL_PROCESS_GROUP", "1", "TINIT_PGROUP", "0"}, nil, false, 0},
		{[]string{"TINI_KILL_PROCESS_GROUP", "1", "TINIT_PGROUP", "off"}, []string{"-g"}, true, 0},
		// tini's levels: 1 warnings (its default), 2 info, 3 debug.
		{[]string{"TINI_VERBOSITY", "0"}, nil, false, 0},
		{[]string{"TINI_VERBOSITY", "1"}, nil, false, 0},
		{[]string{"TINI_VERBOSITY", "2"}, nil, false, 1},
		{[]string{"TINI_VERBOSITY", "3"}, nil, false, 2},
		{[]string{"TINI_VERBOSITY", "4"}, nil, false, 3},
		// atoi, as in tini: leading digits, anything else 0.
		{[]string{"TINI_VERBOSITY", "3x"}, nil, false, 2},
		{[]string{"TINI_VERBOSITY", "lots"}, nil, false, 0},
		{[]string{"TINI_VERBOSITY", "-2"}, nil, false, 0},
		{[]string{"TINI_VERBOSITY", "3", "TINIT_VERBOSITY", "0"}, nil, false, 0},
		{[]string{"TINI_VERBOSITY", "3"}, []string{"-v"}, false, 1},
		{[]string{"TINI_VERBOSITY", "1", "TINIT_VERBOSITY", "2"}, nil, false, 2},
	}
	for _, c := range cases {
		cfg := mustParse(t, envOf(c.env...), append(c.args, "cmd")...)
		if cfg.Pgroup != c.pgroup || cfg.Verbosity != c.verbosity {
			t.Errorf("env %q args %q: pgroup %v verbosity %d, want %v %d", c.env, c.args, cfg.Pgroup, cfg.Verbosity, c.pgroup, c.verbosity)
		}
	}
}
