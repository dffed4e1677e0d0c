package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsEndToEnd plants two patterns in three batches — one phone
// number behind three applications, one file uploaded twice — and finds
// each flagged once, as one cluster, then decides on one through the API.
func TestFlagsEndToEnd(t *testing.T) {
	b := backends(t)[0]
	dir := t.TempDir()
	write := func(batch, name, text string) string {
		p := filepath.Join(dir, batch, name)
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	form := func(name, phone string) string {
		return fmt.Sprintf("ĐƠN ĐỀ NGHỊ HỖ TRỢ\nKính gửi: Ủy ban nhân dân phường\nTôi là %s, điện thoại %s.\nĐề nghị được xem xét hỗ trợ.", name, phone)
	}
	write("a", "don-1.txt", form("Nguyễn Văn An", "0987 654 321"))
	write("a", "don-2.txt", form("Trần Thị Bình", "0987.654.321"))
	write("a", "ban-sao.txt", "BIÊN BẢN HỌP\nNội dung họp về hồ sơ hỗ trợ hộ nghèo.")
	write("b", "don-3.txt", form("Lê Văn Cường", "+84 987 654 321"))
	write("b", "ban-sao.txt", "BIÊN BẢN HỌP\nNội dung họp về hồ sơ hỗ trợ hộ nghèo.")
	write("c", "don-4.txt", form("Phạm Thị Dung", "0912 000 111")+"\nCán bộ yêu cầu nộp phí bôi trơn 2 triệu đồng.")
	for _, batch := range []string{"a", "b", "c"} {
		if _, errs, code := run(t, b, "process", "--batch", "batch "+batch, filepath.Join(dir, batch)); code != 0 {
			t.Fatal(errs)
		}
	}
	out, errs, code := run(t, b, "export", "--flags")
	if code != 0 {
		t.Fatal(errs)
	}
	var flags []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("flag line: %v: %s", err, line)
		}
		flags = append(flags, f)
	}
	kinds := map[string]int{}
	for _, f := range flags {
		kinds[f["kind"].(string)+" "+f["key"].(string)] = len(f["evidence"].([]any))
	}
	if len(flags) != 3 || kinds["recurring_identifier phone:+84987654321|one-stop"] != 3 || len(kinds) != 3 {
		t.Fatalf("flags: %v\n%s", kinds, out)
	}
	for k, n := range kinds {
		if strings.HasPrefix(k, "exact_duplicate") && n != 2 {
			t.Errorf("%s: %d documents, want 2", k, n)
		}
		if strings.HasPrefix(k, "red_flag") && !strings.HasPrefix(k, "red_flag personal-account-payment:") {
			t.Errorf("red flag %s", k)
		}
	}

	base := serveTest(t, b)
	list := decode[map[string][]map[string]any](t, get(t, base+"/api/v1/flags?status=open&kind=recurring_identifier"), http.StatusOK)
	if len(list["flags"]) != 1 {
		t.Fatalf("open recurring flags: %v", list)
	}
	id := list["flags"][0]["id"].(float64)
	body, _ := json.Marshal(map[string]string{"status": "dismissed", "reason": "same_family", "note": "Một hộ gia đình, ba người."})
	resp := post(t, fmt.Sprintf("%s/api/v1/flags/%d/decisions", base, int64(id)), "application/json", bytes.NewReader(body))
	got := decode[map[string]any](t, resp, http.StatusOK)
	if got["status"] != "dismissed" || len(got["decisions"].([]any)) != 1 {
		t.Errorf("after the decision: %v", got)
	}
	// Who decided is the token's user, not a name the client sends.
	if by := got["decisions"].([]any)[0].(map[string]any)["decided_by"].(string); !strings.HasPrefix(by, "tester-") {
		t.Errorf("decided_by = %q, want the signed-in supervisor", by)
	}
	resp = post(t, fmt.Sprintf("%s/api/v1/flags/%d/decisions", base, int64(id)), "application/json", strings.NewReader(`{"status":"dismissed"}`))
	if e := decode[apiErrorBody](t, resp, http.StatusBadRequest); !strings.Contains(e.Error.Message, "reason") {
		t.Errorf("a decision without a reason: %+v", e)
	}
}
