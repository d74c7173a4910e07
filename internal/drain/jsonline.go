package drain

import "encoding/json"

// marshalLine encodes v, one of the wire structs, as one line of JSON and a
// newline. They hold only strings, integers, bools, pointers, slices and
// structs, which encoding/json cannot fail on; an error would be a bug in a
// wire struct, and the line then says so rather than going missing.
func marshalLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "tinit: encoding JSON: " + err.Error()})
	}
	return append(b, '\n')
}

// orEmpty is s, or an empty slice for nil: the schema has [] where a list
// is empty, and encoding/json writes a nil slice as null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonEmpty is nil for "", which the schema writes as null.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
