package forecast

import (
	"encoding/json"
	"strconv"
)

// The state of a Model is encoded by hand, byte for byte as encoding/json
// encodes modelDoc (TestStateJSONMatchesEncodingJSON checks it): a saved
// state is encoded on every pass of a Controller with a StateStore, and
// encoding/json's reflection and its escaping scan of the base64 text cost
// more than the encoding itself. Decoding keeps encoding/json.

// b64 is the length of the base64 text of n bytes.
func b64(n int) int { return (n + 2) / 3 * 4 }

// size bounds the length of d's encoding from above, so that it is
// encoded into one allocation (strings that need escaping aside).
func (d *modelDoc) size() int {
	n := 512 + len(d.Config) + b64(8*len(d.Vals)) + b64(8*len(d.Zs)) + 16 + b64(8*len(d.Fills)) + 16 + b64(8*len(d.Window)) + 16 + b64(8*len(d.Bias)) + d.M.size()
	if a := d.Auto; a != nil {
		n += 256 + len(a.Label) + 16*len(a.Chosen) + b64(8*len(a.Vals)) + b64(8*len(a.Long)) + 32 + b64(8*len(a.PeakACI)) + 16 + b64(8*len(a.ZeroRun)) + 16 + b64(8*len(a.ZeroPhases)) + 16 + b64(8*len(a.Recent))
		for i := range a.Cands {
			n += a.Cands[i].size()
		}
		n += 128 + len(a.Sel.Model) + len(a.Sel.Reason) + b64(8*len(a.Sel.MASE))
		for i := range a.Sel.Names {
			n += 6 + len(a.Sel.Names[i]) + len(a.Sel.Skipped[i])
		}
		for i := range a.Buckets {
			n += 3 + b64(4*len(a.Buckets[i]))
		}
		for i := range a.Peaks {
			n += 3 + b64(4*len(a.Peaks[i]))
		}
	}
	return n
}

func (m *mState) size() int {
	n := 160 + len(m.ID) + len(m.Label) + b64(8*len(m.Params)) + b64(8*len(m.Vals)) + 21*len(m.Pos)
	for _, s := range m.Seasons {
		n += 3 + b64(8*len(s))
	}
	return n
}

// appendJSON appends d as json.Marshal(d) would.
func (d *modelDoc) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, int64(d.Version), 10)
	b = append(b, `,"config":`...)
	b = appendJSONString(b, d.Config)
	b = append(b, `,"started":`...)
	b = strconv.AppendBool(b, d.Started)
	b = append(b, `,"t0":`...)
	t, err := d.T0.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = append(b, t...)
	b = append(b, `,"slot":`...)
	b = strconv.AppendInt(b, d.Slot, 10)
	b = append(b, `,"fitted":`...)
	b = strconv.AppendBool(b, d.Fitted)
	b = append(b, `,"failed":`...)
	b = strconv.AppendBool(b, d.Failed)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, d.Total, 10)
	b = append(b, `,"since_fit":`...)
	b = strconv.AppendInt(b, int64(d.SinceFit), 10)
	b = append(b, `,"window_len":`...)
	b = strconv.AppendInt(b, int64(d.HistLen), 10)
	b = append(b, `,"values":`...)
	b = d.Vals.appendJSON(b)
	b = append(b, `,"standardized_errors":`...)
	b = d.Zs.appendJSON(b)
	if len(d.Fills) > 0 {
		b = append(b, `,"gap_fills":`...)
		b = d.Fills.appendJSON(b)
	}
	if len(d.Window) > 0 {
		b = append(b, `,"window":`...)
		b = d.Window.appendJSON(b)
	}
	if len(d.Bias) > 0 {
		b = append(b, `,"bias":`...)
		b = d.Bias.appendJSON(b)
	}
	b = append(b, `,"model":`...)
	b = d.M.appendJSON(b)
	if d.Auto != nil {
		b = append(b, `,"auto":`...)
		b = d.Auto.appendJSON(b)
	}
	return append(b, '}'), nil
}

func (m *mState) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, m.ID)
	if m.Fitted {
		b = append(b, `,"fitted":true`...)
	}
	if m.FitN != 0 {
		b = append(b, `,"fit_n":`...)
		b = strconv.AppendInt(b, int64(m.FitN), 10)
	}
	if m.Label != "" {
		b = append(b, `,"label":`...)
		b = appendJSONString(b, m.Label)
	}
	if len(m.Params) > 0 {
		b = append(b, `,"params":`...)
		b = m.Params.appendJSON(b)
	}
	if m.Full {
		b = append(b, `,"full":true`...)
	}
	if len(m.Vals) > 0 {
		b = append(b, `,"values":`...)
		b = m.Vals.appendJSON(b)
	}
	if m.N != 0 {
		b = append(b, `,"n":`...)
		b = strconv.AppendInt(b, int64(m.N), 10)
	}
	if len(m.Pos) > 0 {
		b = append(b, `,"pos":`...)
		b = appendJSONArray(b, m.Pos, appendJSONInt)
	}
	if len(m.Seasons) > 0 {
		b = append(b, `,"seasons":`...)
		b = appendJSONArray(b, m.Seasons, (*floats).appendJSON)
	}
	return append(b, '}')
}

func (a *autoSt) appendJSON(b []byte) []byte {
	b = append(b, `{"candidates":`...)
	b = appendJSONArray(b, a.Cands, (*mState).appendJSON)
	b = append(b, `,"chosen":`...)
	b = appendJSONArray(b, a.Chosen, appendJSONInt)
	if a.Combined {
		b = append(b, `,"combined":true`...)
	}
	if a.Inner != 0 {
		b = append(b, `,"inner":`...)
		b = strconv.AppendInt(b, int64(a.Inner), 10)
	}
	if a.Pick != 0 {
		b = append(b, `,"pick":`...)
		b = strconv.AppendInt(b, int64(a.Pick), 10)
	}
	b = append(b, `,"backtest_horizon":`...)
	b = strconv.AppendInt(b, int64(a.HB), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, a.Total, 10)
	b = append(b, `,"selected_at":`...)
	b = strconv.AppendInt(b, a.SelTotal, 10)
	b = append(b, `,"selected":`...)
	b = strconv.AppendBool(b, a.Selected)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(a.N), 10)
	b = append(b, `,"label":`...)
	b = appendJSONString(b, a.Label)
	b = append(b, `,"selection":`...)
	b = a.Sel.appendJSON(b)
	if a.groups != nil {
		b = append(b, a.groups...)
	} else {
		b = a.appendGroups(b)
	}
	b = append(b, `,"values":`...)
	b = a.Vals.appendJSON(b)
	if a.Long != nil {
		b = append(b, `,"long_season":`...)
		b = a.Long.appendJSON(b)
	}
	if a.PeakACI != nil {
		b = append(b, `,"peak_aci":`...)
		b = a.PeakACI.appendJSON(b)
	}
	if a.ZeroRun != nil {
		b = append(b, `,"zero_run":`...)
		b = a.ZeroRun.appendJSON(b)
	}
	if a.ZeroPhases != nil {
		b = append(b, `,"zero_phases":`...)
		b = a.ZeroPhases.appendJSON(b)
	}
	if a.Recent != nil {
		b = append(b, `,"recent":`...)
		b = a.Recent.appendJSON(b)
	}
	return append(b, '}')
}

// appendGroups appends the "buckets" and "peak_buckets" members of a's
// encoding, with their leading commas.
func (a *autoSt) appendGroups(b []byte) []byte {
	b = append(b, `,"buckets":`...)
	b = appendJSONArray(b, a.Buckets, (*floats32).appendJSON)
	b = append(b, `,"peak_buckets":`...)
	return appendJSONArray(b, a.Peaks, (*floats32).appendJSON)
}

func (s *selState) appendJSON(b []byte) []byte {
	b = append(b, `{"model":`...)
	b = appendJSONString(b, s.Model)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, s.Reason)
	b = append(b, `,"fallback":`...)
	b = strconv.AppendBool(b, s.Fallback)
	b = append(b, `,"horizon":`...)
	b = strconv.AppendInt(b, int64(s.Horizon), 10)
	b = append(b, `,"origins":`...)
	b = strconv.AppendInt(b, int64(s.Origins), 10)
	b = append(b, `,"names":`...)
	b = appendJSONArray(b, s.Names, appendJSONStringAt)
	b = append(b, `,"mase":`...)
	b = s.MASE.appendJSON(b)
	b = append(b, `,"skipped":`...)
	b = appendJSONArray(b, s.Skipped, appendJSONStringAt)
	return append(b, '}')
}

// appendJSON appends v as its MarshalText, quoted.
func (v floats) appendJSON(b []byte) []byte {
	b = append(b, '"')
	return append(appendBits(b, v), '"')
}

// appendJSON appends v as its MarshalText, quoted.
func (v floats32) appendJSON(b []byte) []byte {
	b = append(b, '"')
	return append(appendBits(b, v), '"')
}

// appendJSONArray appends v as json.Marshal(v) would, each element by
// elem: null when v is nil.
func appendJSONArray[T any](b []byte, v []T, elem func(*T, []byte) []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(&v[i], b)
	}
	return append(b, ']')
}

func appendJSONInt(v *int, b []byte) []byte { return strconv.AppendInt(b, int64(*v), 10) }

func appendJSONStringAt(s *string, b []byte) []byte { return appendJSONString(b, *s) }

// appendJSONString appends s quoted as encoding/json quotes it: plain
// ASCII as it is, anything that needs escaping through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
