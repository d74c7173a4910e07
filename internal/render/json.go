package render

import "encoding/json"

// MarshalLine encodes v, one of the wire structs, as one line of JSON and a
// newline. They hold only strings, integers, bools, pointers, slices and
// structs, which encoding/json cannot fail on; an error would be a bug in a
// wire struct, and the line then says so rather than going missing.
func MarshalLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "tinit: encoding JSON: " + err.Error()})
	}
	return append(b, '\n')
}

// OrEmpty is s, or an empty slice for nil: the schema has [] where a list
// is empty, and encoding/json writes a nil slice as null.
func OrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// NonEmpty is nil for "", which the schema writes as null.
func NonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
