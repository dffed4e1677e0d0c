package web_test

import (
	"context"
	"strings"
	"testing"

	"hoso/pipeline"
	"hoso/web"
)

// TestFlagSystemNoteTranslated: what hoso itself writes in a flag's
// history (a dismissed flag reopened by new evidence) reads in the page's
// language; what a person wrote stays as written.
func TestFlagSystemNoteTranslated(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	id := f.flag["land"]
	if _, err := f.store.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: pipeline.ScopeAll, ID: id, Status: pipeline.FlagDismissed,
		Reason: "false_positive", Note: "Đã kiểm tra tại chỗ", DecidedBy: "supervisor-land"}); err != nil {
		t.Fatal(err)
	}
	other := int64(0)
	for dep, d := range f.doc {
		if dep != "land" {
			other = d
		}
	}
	if err := f.store.FlagsUpsert(ctx, []pipeline.FlagUpsert{{Kind: "red_flag", Key: "land", Severity: "high", Department: "land", Title: "flag in land",
		Evidence: []pipeline.FlagEvidence{{DocumentID: f.doc["land"], Detail: "again"}, {DocumentID: other, Detail: "new"}}}}); err != nil {
		t.Fatal(err)
	}
	_, body := f.do("supervisor-land", "GET", "/flags/"+itoa(id), nil, "Cookie", "hoso_lang=vi")
	if strings.Contains(body, "show the pattern") || !strings.Contains(body, "có cùng dấu hiệu") {
		t.Errorf("the note hoso wrote is not in Vietnamese:\n%s", history(body))
	}
	if !strings.Contains(body, "Đã kiểm tra tại chỗ") {
		t.Errorf("the supervisor's own note is not shown as written:\n%s", history(body))
	}
}

// history is the flag page's decision list, for messages.
func history(body string) string {
	if i := strings.Index(body, `class="history"`); i >= 0 {
		return body[i:min(len(body), i+2000)]
	}
	return body
}
