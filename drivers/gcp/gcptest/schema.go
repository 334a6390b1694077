package gcptest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// CheckResponse checks an answer body of the method id against its
// response schema (types, formats, enums, patterns, no unknown fields). A
// method without a response schema must answer with no body or an empty
// object. It returns a *ConformanceError (with Answer set) listing every
// problem.
func (s *Spec) CheckResponse(id string, body []byte) error {
	m := s.byID[id]
	if m == nil {
		return &ConformanceError{Method: id, Answer: true, Problems: []string{"no such method in the document"}}
	}
	var probs []string
	if m.response == "" {
		if b := bytes.TrimSpace(body); len(b) > 0 && !bytes.Equal(b, []byte("{}")) {
			probs = append(probs, fmt.Sprintf("the method answers with no body, got %d bytes", len(body)))
		}
	} else {
		probs = s.checkBody(body, m.response, "")
	}
	if len(probs) > 0 {
		return &ConformanceError{Request: m.HTTPMethod + " " + m.FlatPath, Method: id, Answer: true, Problems: probs}
	}
	return nil
}

// checkBody decodes body and checks it against the named schema; method,
// when set, is the method whose required fields (annotations.required)
// the body must have.
func (s *Spec) checkBody(body []byte, name, method string) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{fmt.Sprintf("body is not JSON: %v", err)}
	}
	if dec.More() {
		return []string{"body holds more than one JSON value"}
	}
	if v == nil {
		return []string{"body is null, want a " + name}
	}
	var probs []string
	s.check(v, &schema{Ref: name}, name, method, &probs)
	return probs
}

// check validates v against sc in the discovery schema dialect: type
// (object, array, string, integer, number, boolean, any), properties,
// additionalProperties, items, $ref, format (int64 and uint64 as strings,
// int32, uint32, byte, date-time), enum, pattern, and
// annotations.required for method. JSON null is accepted anywhere: it
// clears a field.
func (s *Spec) check(v any, sc *schema, at, method string, probs *[]string) {
	for sc.Ref != "" {
		next := s.schemas[sc.Ref]
		if next == nil {
			*probs = append(*probs, fmt.Sprintf("%s: unknown schema %s", at, sc.Ref))
			return
		}
		sc = next
	}
	if v == nil {
		return
	}
	bad := func(want string) {
		*probs = append(*probs, fmt.Sprintf("%s: %s, want %s", at, describe(v), want))
	}
	switch sc.Type {
	case "any":
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch p := sc.Properties[k]; {
			case p != nil:
				s.check(obj[k], p, at+"."+k, method, probs)
			case sc.AdditionalProperties != nil:
				s.check(obj[k], sc.AdditionalProperties, at+"["+strconv.Quote(k)+"]", method, probs)
			default:
				*probs = append(*probs, fmt.Sprintf("%s: unknown field %q", at, k))
			}
		}
		if method == "" {
			return
		}
		names := make([]string, 0, len(sc.Properties))
		for k := range sc.Properties {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if _, ok := obj[k]; !ok && contains(sc.Properties[k].Annotations.Required, method) {
				*probs = append(*probs, fmt.Sprintf("%s: field %q is required by %s", at, k, method))
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		if sc.Items == nil {
			return
		}
		for i, it := range arr {
			s.check(it, sc.Items, fmt.Sprintf("%s[%d]", at, i), method, probs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			switch sc.Format {
			case "int64", "uint64":
				bad("a string (format " + sc.Format + ")")
			default:
				bad("a string")
			}
			return
		}
		if p := s.checkString(str, sc.Format, sc.Pattern, sc.Enum); p != "" {
			*probs = append(*probs, fmt.Sprintf("%s: %q %s", at, str, p))
			return
		}
		switch sc.Format {
		case "byte":
			if _, err := base64.StdEncoding.DecodeString(str); err != nil {
				if _, err := base64.URLEncoding.DecodeString(str); err != nil {
					*probs = append(*probs, fmt.Sprintf("%s: %q is not base64", at, str))
				}
			}
		case "date-time", "google-datetime":
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				*probs = append(*probs, fmt.Sprintf("%s: %q is not an RFC 3339 time", at, str))
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			bad("an integer")
			return
		}
		i, err := n.Int64()
		if err != nil {
			bad("an integer")
			return
		}
		if p := intFormat(sc.Format, i); p != "" {
			*probs = append(*probs, fmt.Sprintf("%s: %d %s", at, i, p))
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			bad("a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
	default:
		*probs = append(*probs, fmt.Sprintf("%s: schema type %q not understood by the validator", at, sc.Type))
	}
}

// describe names a decoded JSON value for a message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
