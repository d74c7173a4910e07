package render

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// appendValue writes v the way encoding/json does, for only the kinds the
// wire structs hold; anything else is an error rather than output that
// could differ from encoding/json's.
func appendValue(b []byte, v reflect.Value) ([]byte, error) {
	var err error
	switch v.Kind() {
	case reflect.Invalid: // a nil interface
		return append(b, "null"...), nil
	case reflect.String:
		return appendString(b, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendValue(b, v.Elem())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break // encoding/json writes bytes in base64
		}
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, v.Index(i)); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case reflect.Struct:
		b = append(b, '{')
		if b, err = appendFields(b, v, map[string]bool{}); err != nil {
			return b, err
		}
		return append(b, '}'), nil
	}
	return b, errors.New("cannot write a " + v.Type().String())
}

// appendFields writes struct v's fields, after those in seen, in their
// order, and an untagged embedded struct's fields in its place, as
// encoding/json does. Only `json:"name"` and `json:"name,omitempty"` are
// taken, with plain names that need no escaping.
func appendFields(b []byte, v reflect.Value, seen map[string]bool) ([]byte, error) {
	var err error
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			if b, err = appendFields(b, fv, seen); err != nil {
				return b, err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		if !plainName(name) || opt != "" && opt != "omitempty" || seen[name] {
			// encoding/json would use the Go name, skip the field, or
			// resolve the clash: cases no wire struct needs.
			return b, errors.New("cannot write field " + f.Name + " tagged " + strconv.Quote(tag))
		}
		seen[name] = true
		if opt == "omitempty" && isEmpty(fv) {
			continue
		}
		if b[len(b)-1] != '{' { // a field before this one was written
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		if b, err = appendValue(b, fv); err != nil {
			return b, err
		}
	}
	return b, nil
}

// isEmpty is encoding/json's test for omitempty: an empty slice counts,
// not only a nil one, and a struct never does.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice:
		return v.Len() == 0
	case reflect.Struct:
		return false
	}
	return v.IsZero()
}

// plainName is a field name of lower-case letters, digits and '_'.
func plainName(s string) bool {
	for _, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
