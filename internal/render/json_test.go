package render

import (
	"strings"
	"testing"
)

// TestMarshalLineRefuses: what the encoder does not write the way
// encoding/json would (maps, floats, bytes, other tags, clashing names)
// gives one line that says so, never output that could differ.
func TestMarshalLineRefuses(t *testing.T) {
	type inner struct {
		A int `json:"a"`
	}
	for want, v := range map[string]any{
		"cannot write a map[string]int": map[string]int{},
		"cannot write a float64": struct {
			F float64 `json:"f"`
		}{},
		"cannot write a []uint8": &struct {
			B []byte `json:"b"`
		}{B: []byte{}},
		`cannot write field S tagged "-"`: struct {
			S string `json:"-"`
		}{},
		`cannot write field S tagged ""`: struct{ S string }{},
		`cannot write field S tagged "s,string"`: struct {
			S string `json:"s,string"`
		}{},
		`cannot write field S tagged "S"`: struct {
			S string `json:"S"`
		}{},
		`cannot write field B tagged "a,omitempty"`: struct {
			inner
			B bool `json:"a,omitempty"`
		}{},
	} {
		got := string(MarshalLine(v))
		if got != `{"error":"tinit: encoding JSON: `+strings.ReplaceAll(want, `"`, `\"`)+`"}`+"\n" {
			t.Errorf("%T: %s", v, got)
		}
	}
	if got := string(MarshalLine(nil)); got != "null\n" {
		t.Errorf("nil: %q", got)
	}
}
