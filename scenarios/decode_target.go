package scenarios

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// targetArgs decodes the steps that talk to the system under test or the merchant side.
func (c *stepCtx) targetArgs(st *Step, n *yaml.Node, path string) {
	d := c.d
	m := d.mapping(n, path)
	if m == nil {
		return
	}
	defer m.finish()
	switch st.Action {
	case ActHTTP:
		h := &HTTPStep{Method: strings.ToUpper(m.str("method")), Path: m.required("path")}
		switch to := m.str("to"); to {
		case "", "target":
		case "simulator":
			h.ToSim = true
		default:
			d.errorf(m.get("to"), m.field("to"), "want target (the default) or simulator (its control API), got %q", to)
		}
		if h.Method == "" {
			h.Method = http.MethodGet
		}
		switch h.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
		default:
			d.errorf(m.get("method"), m.field("method"), "unknown HTTP method %q; known: GET, POST, PUT, PATCH, DELETE, HEAD", h.Method)
		}
		if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
			d.errorf(m.get("path"), m.field("path"), "want a path starting with / (the target's base URL is given to the runner)")
		}
		h.Headers = c.stringMap(m, "headers")
		h.Form = c.stringMap(m, "form")
		if jn := m.get("json"); jn != nil {
			v, ok := d.plain(jn, m.field("json"), 0)
			if ok {
				if b, err := json.Marshal(v); err == nil {
					h.JSON = b
				}
			}
		}
		if h.JSON != nil && h.Form != nil {
			d.errorf(m.n, m.field("json"), "give json or form, not both")
		}
		h.Timeout = m.duration("timeout")
		h.Capture = c.stringMap(m, "capture")
		for k := range h.Capture {
			if !varName.MatchString(k) {
				d.errorf(m.get("capture"), m.field("capture"), "variable name %q: want letters, digits and _", k)
			}
		}
		st.HTTP = h
	case ActWaitAcks:
		st.Channel = m.str("channel")
		if st.Channel != "" {
			c.known(m.get("channel"), m.field("channel"), st.Channel)
		} else {
			st.Channel = c.s.Channel
		}
		st.Order = m.str("order")
		st.Count = m.intVal("count", 1, 1)
		st.NotifyOf = c.notifyType(m)
		st.Duration = m.duration("within")
		if st.Duration == 0 {
			st.Duration = DefaultWithin
		}
	case ActMisbehave:
		p := &Misbehaviour{At: m.str("at"), Respond: m.required("respond"), Body: m.str("body")}
		if p.At == "" {
			p.At = "notify"
		}
		if p.At != "notify" && p.At != "webhooks" {
			d.errorf(m.get("at"), m.field("at"), "want notify (the channels' callbacks) or webhooks (the gateway's webhooks), got %q", p.At)
		}
		known := false
		for _, k := range respondKinds {
			known = known || k == p.Respond
		}
		if p.Respond != "" && !known {
			d.errorf(m.get("respond"), m.field("respond"), "unknown answer %q; known: %s", p.Respond, strings.Join(respondKinds, ", "))
		}
		p.Status = m.intVal("status", 0, 0)
		if p.Status != 0 && (p.Status < 400 || p.Status > 599) {
			d.errorf(m.get("status"), m.field("status"), "want a status within 400..599")
		}
		if p.Status != 0 && p.Respond != RespondStatus {
			d.errorf(m.get("status"), m.field("status"), "only with respond: status")
		}
		p.First = m.intVal("first", 0, 0)
		st.Misbehave = p
	}
}

// stringMap decodes an optional mapping of scalars.
func (c *stepCtx) stringMap(m *mapNode, key string) map[string]string {
	n := m.get(key)
	if n == nil {
		return nil
	}
	mm := c.d.mapping(n, m.field(key))
	if mm == nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range mm.keys {
		if v, ok := c.d.scalar(mm.get(k.Value), mm.field(k.Value)); ok {
			out[k.Value] = v
		}
	}
	mm.finish()
	return out
}

// targetExpect decodes an expect block's `http:` and `webhooks:` (both optional).
func (c *stepCtx) targetExpect(e *Expect, m *mapNode) {
	d := c.d
	if hn := m.get("http"); hn != nil {
		hm := d.mapping(hn, m.field("http"))
		if hm != nil {
			he := &HTTPExpect{Pos: d.pos(hm.n), BodyContains: hm.str("body_contains")}
			if sn := hm.get("status"); sn != nil {
				for i, it := range d.oneOrMany(sn, hm.field("status")) {
					if v, ok := d.scalar(it, fmt.Sprintf("%s[%d]", hm.field("status"), i)); ok {
						code, err := strconv.Atoi(v)
						if err != nil || code < 100 || code > 599 {
							d.errorf(it, hm.field("status"), "want an HTTP status (100..599), got %q", v)
							continue
						}
						he.Status = append(he.Status, code)
					}
				}
			}
			if v := hm.str("body_regex"); v != "" {
				re, err := regexp.Compile(v)
				if err != nil {
					d.errorf(hm.get("body_regex"), hm.field("body_regex"), "bad regular expression: %v", err)
				}
				he.BodyRegex = re
			}
			if jn := hm.get("json"); jn != nil {
				jm := d.mapping(jn, hm.field("json"))
				if jm != nil {
					for _, k := range jm.keys {
						he.JSON = append(he.JSON, c.jsonCheck(k.Value, jm.get(k.Value), jm.field(k.Value)))
					}
					jm.finish()
				}
			}
			hm.finish()
			e.HTTP = he
		}
	}
	if wn := m.get("webhooks"); wn != nil {
		for i, it := range d.oneOrMany(wn, m.field("webhooks")) {
			path := fmt.Sprintf("%s[%d]", m.field("webhooks"), i)
			wm := d.mapping(it, path)
			if wm == nil {
				continue
			}
			we := WebhookExpect{Pos: d.pos(wm.n), Type: wm.str("type"), Order: wm.str("order"), Answered: wm.intVal("answered", 0, 0),
				Count: wm.intPtr("count", 0), Min: wm.intPtr("min", 0), Max: wm.intPtr("max", 0), Events: wm.boolVal("events")}
			if we.Count == nil && we.Min == nil && we.Max == nil {
				one := 1
				we.Min = &one
			}
			wm.finish()
			e.Webhooks = append(e.Webhooks, we)
		}
	}
}

func (c *stepCtx) jsonCheck(path string, n *yaml.Node, field string) JSONCheck {
	d := c.d
	jc := JSONCheck{Path: path}
	if _, err := splitJSONPath(path); err != nil {
		d.errorf(n, field, "%v", err)
	}
	n = d.deref(n, field)
	if n == nil {
		return jc
	}
	if n.Kind == yaml.MappingNode {
		m := d.mapping(n, field)
		if v := m.str("regex"); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				d.errorf(m.get("regex"), m.field("regex"), "bad regular expression: %v", err)
			}
			jc.Regex = re
		}
		if m.has("equals") {
			v := m.str("equals")
			jc.Equals = &v
		}
		jc.Exists = m.boolPtr("exists")
		if jc.Regex == nil && jc.Equals == nil && jc.Exists == nil {
			d.errorf(n, field, "say what to check: equals, regex or exists")
		}
		m.finish()
		return jc
	}
	if isNull(n) {
		f := false
		jc.Exists = &f
		return jc
	}
	if v, ok := d.scalar(n, field); ok {
		jc.Equals = &v
	}
	return jc
}
