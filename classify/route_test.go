package classify

import (
	"testing"

	"hoso/pipeline"
)

// TestRouting: a document stays with the department it was uploaded for
// unless the rule file says its type goes elsewhere.
func TestRouting(t *testing.T) {
	rs, err := Parse([]byte(`
name: t
types:
  - {id: permit, name: Permit, department: one-stop}
  - {id: denunciation, name: Denunciation, department: inspection, reroute: true}
  - {id: tax, name: Tax, department: tax}
rules:
  - {id: permit, type: permit, any: ["giấy phép"]}
  - {id: denunciation, type: denunciation, any: ["tố cáo"]}
  - {id: tax, type: tax, department: finance, any: ["thuế"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text, uploaded, want, from string
	}{
		{"giấy phép xây dựng", "land", "land", pipeline.DepartmentFromUpload},
		{"giấy phép xây dựng", "", "one-stop", pipeline.DepartmentFromType},
		{"giấy phép xây dựng", pipeline.DepartmentIntake, "one-stop", pipeline.DepartmentFromType},
		{"đơn tố cáo", "land", "inspection", pipeline.DepartmentFromType},
		{"tờ khai thuế", "land", "finance", pipeline.DepartmentFromRule},
		{"không rõ là gì", "land", "land", pipeline.DepartmentFromUpload},
		{"không rõ là gì", "", pipeline.DepartmentIntake, pipeline.DepartmentFromUpload},
	} {
		res := rs.Classify(Document{Department: tt.uploaded, Pages: []string{tt.text}})
		if res.Department != tt.want || res.Explanation.DepartmentFrom != tt.from {
			t.Errorf("%q uploaded for %q: department %q (%s), want %q (%s)", tt.text, tt.uploaded, res.Department, res.Explanation.DepartmentFrom, tt.want, tt.from)
		}
	}
}

// TestDocumentDate: the default rules capture a document's own date for
// every type, and leave the dates of documents it cites alone.
func TestDocumentDate(t *testing.T) {
	rs := DefaultRules()
	for _, tt := range []struct{ text, want string }{
		{"ỦY BAN NHÂN DÂN\nHà Nội, ngày 5 tháng 3 năm 2024\nBÁO CÁO\nTình hình tiếp nhận hồ sơ", "2024-03-05"},
		{"QUYẾT ĐỊNH\nCăn cứ Nghị định số 43/2014/NĐ-CP ngày 15/5/2014 của Chính phủ;\nThu hồi đất.", ""},
		{"ĐƠN ĐỀ NGHỊ\nNgày nộp: 12/01/2024\nHọ tên: Nguyễn Văn A", "2024-01-12"},
		{"ANNUAL REPORT\nDate: March 5, 2024\nThe office received 1,200 files.", "2024-03-05"},
		{"OFFICIAL LETTER\nHanoi, 7 June 2023\nTo the People's Committee", "2023-06-07"},
		{"BIÊN BẢN HỌP\nHôm nay, ngày 23/3/2020, tại trụ sở Ủy ban", "2020-03-23"},
		{"Giấy phép có hiệu lực đến 23/6/2020.", ""},
		{"Một trang không có ngày nào cả.", ""},
	} {
		res := rs.Classify(Document{Pages: []string{tt.text}})
		got := ""
		for _, f := range res.Fields {
			if f.Name == "date" {
				got = f.Value
				break
			}
		}
		if got != tt.want {
			t.Errorf("date of %q (a %s) = %q, want %q", tt.text, res.Type, got, tt.want)
		}
	}
}
