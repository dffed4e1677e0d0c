package extract

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestLanguage(t *testing.T) {
	for text, want := range map[string]string{
		"Quyết định về việc cấp giấy phép xây dựng cho hộ gia đình":                   "vi",
		norm.NFD.String("Giấy chứng nhận quyền sử dụng đất của hộ ông Nguyễn Văn An"): "vi",
		"Bao cao tinh hinh thuc hien cac nhiem vu cua nam 2023 va ke hoach nam 2024":  "vi",
		"The committee approves the plan of the district for the year":                "en",
		"short": "",
	} {
		if got := Language(text); got != want {
			t.Errorf("Language(%q) = %q, want %q", text, got, want)
		}
	}
}
