package web

import (
	"testing"

	"hoso/classify"
	"hoso/detect"
	"hoso/pipeline"
)

// TestFlagTitles: the pages title every kind of flag in their language,
// from what detection stored.
func TestFlagTitles(t *testing.T) {
	vi := &names{t: translator{Lang: "vi", cat: catalogs["vi"]}, rules: classify.DefaultRules()}
	en := &names{t: translator{Lang: "en", cat: catalogs["en"]}, rules: classify.DefaultRules()}
	exact := detect.ExactDuplicates("ab"+string(make([]byte, 62)), []detect.DocumentRef{{ID: 1, Department: "land"}, {ID: 2, Department: "land"}, {ID: 3, Department: "land"}})[0]
	occ := []pipeline.IdentifierOccurrence{{DocumentID: 1, BatchID: 1, Department: "land"}, {DocumentID: 2, BatchID: 2, Department: "land"}, {DocumentID: 3, BatchID: 3, Department: "land"}}
	recs := detect.Recurring("phone", "+84912345678", occ, detect.Config{})
	if len(recs) != 1 {
		t.Fatal("no recurring flag")
	}
	rec := recs[0]
	vol := detect.VolumeFlag(detect.Spike{VolumeKey: detect.VolumeKey{Type: "permit", Department: "land"}, Day: "2024-03-05", Count: 42, Median: 3, Threshold: 9}, nil)
	red := pipeline.FlagUpsert{Kind: "red_flag", Key: "personal-account-payment:7", Title: "Money is asked to be paid into a personal account or as an unofficial fee."}
	for _, tt := range []struct {
		f      pipeline.FlagUpsert
		vi, en string
	}{
		{exact, "Cùng một tệp được tải lên 3 lần", "The same file was uploaded 3 times"},
		{rec, "số điện thoại +84912345678 xuất hiện trong 3 tài liệu thuộc 3 lô hồ sơ", "phone +84912345678 appears in 3 documents from 3 batches"},
		{vol, "42 tài liệu loại Giấy phép của Đất đai ngày 05/03/2024, trong khi thường chỉ 3 một ngày", "42 documents of type Permit or licence in Land on 2024-03-05, against a usual 3 a day"},
		{red, "Văn bản đòi nộp tiền vào tài khoản cá nhân hoặc một khoản phí không chính thức.", red.Title},
	} {
		f := &pipeline.Flag{Kind: tt.f.Kind, Key: tt.f.Key, Title: tt.f.Title}
		if got := vi.FlagTitle(f); got != tt.vi {
			t.Errorf("%s in Vietnamese: %q, want %q", tt.f.Kind, got, tt.vi)
		}
		if got := en.FlagTitle(f); got != tt.en {
			t.Errorf("%s in English: %q, want %q", tt.f.Kind, got, tt.en)
		}
	}
}
