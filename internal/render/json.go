package render

import "reflect"

// MarshalLine encodes v, one of the wire structs, as one line of JSON and a
// newline, byte for byte as Go 1.26's encoding/json.Marshal would (the wire
// tests hold it to that; newer ones write an invalid byte's U+FFFD as the
// character, not its escape, which reads back the same). tinit writes it
// itself because encoding/json is about 74 KB of the binary, which s390x
// and mips64el do not have to spare. An error means a wire struct holds
// what this encoder does not write, and the line then says so rather than
// going missing.
func MarshalLine(v any) []byte {
	b, err := appendValue(nil, reflect.ValueOf(v))
	if err != nil {
		b = appendString([]byte(`{"error":`), "tinit: encoding JSON: "+err.Error())
		b = append(b, '}')
	}
	return append(b, '\n')
}

// OrEmpty is s, or an empty slice for nil: the schema has [] where a list
// is empty, and a nil slice is written as null, as encoding/json does.
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
