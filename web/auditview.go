package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The audit trail stores an object ("document:12") and a detail in JSON;
// the audit page shows both as a person reads them: the object as a link
// with its name, the detail as labelled values in the page's language.

// auditLink is an object of the trail as the page shows it.
type auditLink struct {
	Text string
	Href string // empty when the object has no page
}

// auditField is one labelled value of a record's detail.
type auditField struct {
	Label string
	Text  string
	Links []auditLink // documents or batches the value names
	More  string      // how many more the list left out
	Raw   bool        // Text is as people wrote it (a query, a note)
}

// AuditObject names the object of a record and links to its page.
func (n *names) AuditObject(obj string) auditLink {
	kind, id, _ := strings.Cut(obj, ":")
	t := n.t
	switch kind {
	case "document":
		return auditLink{t.T("audit.obj.document", id), "/documents/" + url.PathEscape(id)}
	case "batch":
		return auditLink{t.T("audit.obj.batch", id), "/batches/" + url.PathEscape(id)}
	case "flag":
		return auditLink{t.T("audit.obj.flag", id), "/flags/" + url.PathEscape(id)}
	case "user":
		return auditLink{t.T("audit.obj.user", id), "/admin/audit?user=" + url.QueryEscape(id)}
	case "token":
		return auditLink{t.T("audit.obj.token", id), ""}
	case "department":
		return auditLink{t.T("audit.obj.department", n.Dept(id)), ""}
	case "rules":
		if id == "apply" {
			return auditLink{t.T("audit.obj.rules_apply"), "/rules"}
		}
		if id == "dryrun" {
			return auditLink{t.T("audit.obj.rules_dryrun"), "/rules"}
		}
		return auditLink{t.T("audit.obj.rules", id), "/rules?from=0&to=" + url.QueryEscape(id)}
	case "search", "index", "audit", "session", "batches", "flags", "dashboard", "metrics", "jobs", "export":
		return auditLink{t.T("audit.obj." + kind), ""}
	}
	return auditLink{obj, ""}
}

// AuditDetail reads a record's detail into labelled values, in a fixed
// order: the keys the catalog knows first, in its order, then the rest.
func (n *names) AuditDetail(detail string) []auditField {
	if detail == "" || detail == "null" || detail == "{}" {
		return nil
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(detail))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return []auditField{{Label: n.t.T("audit.detail"), Text: detail}}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := auditKeyRank(keys[i]), auditKeyRank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	out := make([]auditField, 0, len(keys))
	for _, k := range keys {
		out = append(out, n.auditField(k, m[k]))
	}
	return out
}

var auditKeyOrder = []string{"change", "name", "q", "hits", "status", "outcome", "reason", "note", "type", "department", "departments",
	"role", "documents", "rejected", "page", "part", "before", "after", "from", "to", "batch", "tag", "match", "version", "sha256"}

func auditKeyRank(k string) int {
	for i, o := range auditKeyOrder {
		if o == k {
			return i
		}
	}
	return len(auditKeyOrder)
}

func (n *names) auditLabel(key string) string {
	if msg, ok := n.t.cat["audit.key."+key]; ok {
		return msg
	}
	return key
}

func (n *names) auditField(key string, v any) auditField {
	f := auditField{Label: n.auditLabel(key)}
	switch x := v.(type) {
	case map[string]any:
		// {"from": a, "to": b} is a change; anything else is listed.
		if from, ok := x["from"]; ok {
			if to, ok := x["to"]; ok && len(x) == 2 {
				f.Text = n.auditValue(key, from) + " → " + n.auditValue(key, to)
				return f
			}
		}
		parts := make([]string, 0, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, n.auditLabel(k)+": "+n.auditValue(k, x[k]))
		}
		f.Text = strings.Join(parts, "; ")
	case []any:
		if key == "documents" {
			for i, e := range x {
				if i == 20 {
					f.More = n.t.T("audit.and_more", len(x)-20)
					break
				}
				id := fmt.Sprint(e)
				f.Links = append(f.Links, auditLink{id, "/documents/" + url.PathEscape(id)})
			}
			if len(x) == 0 {
				f.Text = n.t.T("audit.none")
			}
			return f
		}
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, n.auditValue(key, e))
		}
		f.Text = strings.Join(parts, ", ")
	default:
		if key == "batch" {
			id := fmt.Sprint(x)
			if _, err := strconv.ParseInt(id, 10, 64); err == nil {
				f.Links = []auditLink{{id, "/batches/" + id}}
				return f
			}
		}
		f.Text = n.auditValue(key, v)
		f.Raw = auditFreeText[key]
	}
	return f
}

// auditFreeText are the keys whose values people wrote.
var auditFreeText = map[string]bool{"q": true, "name": true, "note": true, "query": true, "after": true, "sha256": true, "path": true}

// auditValue is one value as the page shows it: names for codes.
func (n *names) auditValue(key string, v any) string {
	s := fmt.Sprint(v)
	if v == nil {
		return "—"
	}
	if b, ok := v.(bool); ok {
		if b {
			return n.t.T("audit.yes")
		}
		return n.t.T("audit.no")
	}
	switch key {
	case "type":
		return n.TypeName(s)
	case "department", "departments":
		return n.Dept(s)
	case "role":
		return n.t.T("role." + s)
	case "status", "outcome":
		return n.t.T("status." + s)
	case "reason":
		if _, ok := n.t.cat["reason."+s]; ok {
			return n.t.T("reason." + s)
		}
	case "change", "part", "match":
		if msg, ok := n.t.cat["audit."+key+"."+s]; ok {
			return msg
		}
	case "from", "to":
		return n.DayOf(s)
	}
	return s
}
