// Package sample makes Vietnamese administrative documents for tests and
// benchmarks: forms filled by different applicants, free letters, and the
// edits that turn a document into a near duplicate (a new date, moved
// paragraphs, the noise of a poor scan).
package sample

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Applicant is what one person writes into a form.
type Applicant struct {
	Name, Born, ID, Phone, Address, Plot, Area, Floors, Purpose, Date, Ward string
	// Seed makes the applicant's free text (a complaint's story) the same
	// in every copy.
	Seed uint64
}

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middleNames = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Gia", "Xuân", "Thu", "Bảo"}
	givenNames  = []string{"An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy"}
	streets     = []string{"Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Phan Chu Trinh", "Điện Biên Phủ", "Võ Thị Sáu", "Hùng Vương", "Quang Trung"}
	wards       = []string{"Phường 1", "Phường 5", "Phường Bến Nghé", "Phường Tân Định", "Xã Tân Phú", "Phường Hàng Bạc", "Phường Cầu Kho"}
	purposes    = []string{
		"xây dựng nhà ở riêng lẻ cho gia đình sinh sống",
		"cải tạo và nâng tầng nhà ở hiện hữu đã xuống cấp",
		"xây dựng nhà ở kết hợp kinh doanh cửa hàng tạp hóa",
		"sửa chữa mái và tường bao quanh khu đất",
		"xây dựng nhà kho chứa nông sản sau thu hoạch",
		"xây mới nhà ở cho con trai sau khi tách hộ",
	}
)

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// NewApplicant draws an applicant.
func NewApplicant(r *rand.Rand) Applicant {
	return Applicant{
		Seed:    r.Uint64(),
		Name:    pick(r, familyNames) + " " + pick(r, middleNames) + " " + pick(r, givenNames),
		Born:    fmt.Sprintf("%02d/%02d/%d", 1+r.IntN(28), 1+r.IntN(12), 1950+r.IntN(50)),
		ID:      fmt.Sprintf("0792%02d%06d", r.IntN(100), r.IntN(1000000)),
		Phone:   fmt.Sprintf("09%d%d %03d %03d", r.IntN(10), r.IntN(10), r.IntN(1000), r.IntN(1000)),
		Address: fmt.Sprintf("số %d đường %s, %s", 1+r.IntN(300), pick(r, streets), pick(r, wards)),
		Plot:    fmt.Sprintf("thửa đất số %d, tờ bản đồ số %d", 1+r.IntN(900), 1+r.IntN(60)),
		Area:    fmt.Sprintf("%d,%d m2", 40+r.IntN(300), r.IntN(10)),
		Floors:  fmt.Sprintf("%d tầng", 1+r.IntN(5)),
		Purpose: pick(r, purposes),
		Date:    fmt.Sprintf("ngày %d tháng %d năm 20%d", 1+r.IntN(28), 1+r.IntN(12), 20+r.IntN(6)),
		Ward:    pick(r, wards),
	}
}

// PermitForm fills the construction permit application form, a
// paragraph per element.
func PermitForm(a Applicant) []string {
	return []string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
		"ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG\n(Sử dụng cho công trình nhà ở riêng lẻ)",
		"Kính gửi: Ủy ban nhân dân quận và Phòng Quản lý đô thị.",
		"1. Thông tin về chủ đầu tư:\n- Tên chủ đầu tư (chủ hộ): " + a.Name + "\n- Ngày sinh: " + a.Born +
			"\n- Số căn cước công dân: " + a.ID + "\n- Địa chỉ liên hệ: " + a.Address + "\n- Số điện thoại: " + a.Phone,
		"2. Thông tin công trình:\n- Địa điểm xây dựng: " + a.Plot + ", " + a.Ward + "\n- Diện tích xây dựng tầng một: " + a.Area +
			"\n- Số tầng: " + a.Floors + "\n- Mục đích: " + a.Purpose + ".",
		"3. Cam kết: Tôi xin cam đoan làm theo đúng giấy phép được cấp, nếu sai tôi xin hoàn toàn chịu trách nhiệm và bị xử lý theo quy định của pháp luật.",
		"Hồ sơ kèm theo gồm: bản sao giấy chứng nhận quyền sử dụng đất, bản vẽ thiết kế xây dựng, bản cam kết bảo đảm an toàn đối với công trình liền kề.",
		a.Ward + ", " + a.Date + "\nNGƯỜI LÀM ĐƠN\n(Ký, ghi rõ họ tên)\n" + a.Name,
	}
}

// Complaint is a free letter: only the opening and closing are fixed.
func Complaint(a Applicant) []string {
	r := rand.New(rand.NewPCG(a.Seed, 7))
	// Each letter tells its own story: sentences from parts, so that two
	// letters share words but rarely a sentence.
	who := []string{"Công trình", "Cơ sở sản xuất", "Hộ gia đình", "Quán karaoke", "Công ty vận tải", "Nhà hàng tiệc cưới", "Xưởng mộc",
		"Tiệm sửa xe", "Lò bánh mì", "Kho hàng", "Bãi giữ xe", "Cửa hàng vật liệu xây dựng"}
	whose := []string{"của ông Ba", "của bà Năm", "mới mở", "không biển hiệu", "của một công ty tư nhân", "do người ngoài thuê", "của gia đình họ Trịnh", ""}
	what := []string{"thi công vào ban đêm gây tiếng ồn rất lớn", "đổ cát và gạch lấn chiếm lối đi chung", "xả nước thải chưa qua xử lý ra mương",
		"xây hàng rào lấn sang phần đất nhà tôi", "mở nhạc lớn đến quá nửa đêm", "đậu xe tải chắn hết cổng ra vào", "đốt rác thải gây khói bụi cả khu phố",
		"chặt cây xanh trên vỉa hè", "để chó thả rông cắn người", "câu trộm điện từ cột đèn", "phơi hàng lấn ra lòng đường", "cho xe ben chạy quá tải làm nứt mặt đường"}
	when := []string{"từ đầu tháng trước", "suốt ba tuần qua", "gần như mỗi ngày", "vào các ngày cuối tuần", "kể từ sau Tết", "từ năm ngoái đến nay"}
	harm := []string{"khiến trẻ nhỏ không ngủ được", "làm hư hỏng tường nhà tôi", "gây nguy hiểm cho người đi đường", "khiến cả xóm phải chịu mùi hôi", "làm con tôi bị viêm họng", "gây mất trật tự trong khu phố"}
	// Letters name places, times and amounts of their own.
	where := func() string {
		return fmt.Sprintf("ở số %d đường %s", 1+r.IntN(400), pick(r, streets))
	}
	since := func() string {
		return fmt.Sprintf("từ ngày %d tháng %d", 1+r.IntN(28), 1+r.IntN(12))
	}
	var events []string
	for range 2 {
		events = append(events, fmt.Sprintf("%s %s %s %s %s (%s), %s; đã %d lần báo tổ dân phố.", pick(r, who), pick(r, whose), where(), pick(r, what), pick(r, when), since(), pick(r, harm), 1+r.IntN(9)))
	}
	return []string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
		"ĐƠN KHIẾU NẠI\nKính gửi: Ủy ban nhân dân " + a.Ward,
		"Tôi tên là " + a.Name + ", sinh ngày " + a.Born + ", căn cước công dân số " + a.ID + ", cư trú tại " + a.Address + ".",
		events[0],
		events[1] + " Đề nghị Ủy ban xem xét, giải quyết sớm.",
		a.Ward + ", " + a.Date + "\nNgười khiếu nại\n" + a.Name,
	}
}

// Redate gives the applicant a new date: a re-dated copy.
func Redate(r *rand.Rand, a Applicant) Applicant {
	a.Date = fmt.Sprintf("ngày %d tháng %d năm 20%d", 1+r.IntN(28), 1+r.IntN(12), 20+r.IntN(6))
	return a
}

// Reorder swaps the fourth and fifth paragraphs.
func Reorder(paras []string) []string {
	out := slices.Clone(paras)
	out[3], out[4] = out[4], out[3]
	return out
}

// OCRNoise imitates a poor scan: diacritics lost on some words, letters
// and digits swapped, characters dropped, lines broken elsewhere.
func OCRNoise(r *rand.Rand, text string) string {
	swaps := map[rune]string{'o': "0", '0': "o", 'l': "1", '1': "l", 'i': "l", 'm': "rn", 'e': "c", 'h': "b", 'u': "ư"}
	var b strings.Builder
	for _, w := range strings.Split(text, " ") {
		if r.Float64() < 0.15 {
			w = stripMarks(w) // diacritics lost
		}
		for _, c := range w {
			switch p := r.Float64(); {
			case p < 0.005:
				// dropped
			case p < 0.025:
				if s, ok := swaps[c]; ok {
					b.WriteString(s)
				} else {
					b.WriteRune(c)
				}
			default:
				b.WriteRune(c)
			}
		}
		if r.Float64() < 0.05 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
	return b.String()
}

func stripMarks(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}
