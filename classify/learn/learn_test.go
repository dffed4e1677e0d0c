package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hoso/pipeline"
)

// kinds are the document kinds of the generated set: words a kind uses
// more than the others (Vietnamese and English), over a vocabulary all
// kinds share. Some kinds overlap on purpose (decision and resolution
// share "quyết"; permit and certificate share "cấp").
var kinds = map[string][]string{
	"decision":    {"QUYẾT ĐỊNH", "thu hồi đất", "giao", "chủ tịch quyết định", "decides", "hereby approved", "quyết"},
	"resolution":  {"NGHỊ QUYẾT", "hội đồng nhân dân", "thông qua", "kỳ họp", "council resolves", "session", "quyết"},
	"complaint":   {"ĐƠN KHIẾU NẠI", "khiếu nại", "bồi thường chưa đúng", "complain", "unfair treatment", "review my case"},
	"permit":      {"GIẤY PHÉP XÂY DỰNG", "được phép xây dựng", "công trình", "building permit", "construction may start", "cấp"},
	"certificate": {"GIẤY CHỨNG NHẬN", "chứng nhận", "quyền sử dụng đất", "certify", "certificate holder", "cấp"},
	"report":      {"BÁO CÁO", "kết quả thực hiện", "tình hình", "annual report", "figures show", "kiến nghị"},
	"minutes":     {"BIÊN BẢN HỌP", "thành phần", "chủ trì", "minutes of the meeting", "present", "kết thúc lúc"},
}

var common = strings.Fields(`ủy ban nhân dân tỉnh huyện xã phường về việc theo quy định của pháp luật
	căn cứ ngày tháng năm số hồ sơ người dân cơ quan đơn vị thực hiện the office of district province citizen
	application date number department public service ông bà địa chỉ điện thoại trân trọng kính gửi`)

// generate makes n documents per kind, seeded: a kind's words are about a
// quarter of each text, the rest is shared.
func generate(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []Example
	for i := range n {
		for _, k := range names {
			var words []string
			for range 40 + rng.IntN(40) {
				if rng.IntN(4) == 0 {
					words = append(words, kinds[k][rng.IntN(len(kinds[k]))])
				} else {
					words = append(words, common[rng.IntN(len(common))])
				}
				if rng.IntN(12) == 0 {
					words = append(words, fmt.Sprintf("%d/%d.", rng.IntN(900), 2000+rng.IntN(25)))
				}
			}
			_ = i
			out = append(out, Example{Text: strings.Join(words, " "), Label: k})
		}
	}
	return out
}

func TestFeatures(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Quyết định số 12/2024", []string{"^quyết", "^quyết định", "^định", "^định số", "^số", "^số 0", "^0", "quyết", "quyết định", "định", "định số", "số", "số 0", "0", "0 0"}},
		{"QUYẾT ĐỊNH. Điều 1", []string{"QUYẾT", "QUYẾT ĐỊNH", "^quyết", "^quyết định", "^điều", "^điều 0", "^định", "^0", "quyết", "quyết định", "ĐỊNH", "0", "điều", "điều 0", "định"}},
		{"Building permit; fee", []string{"^building", "^building permit", "^fee", "^permit", "building", "building permit", "fee", "permit"}},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		for f := range Features(tt.text) {
			got = append(got, f)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Features(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestFeaturesNFC(t *testing.T) {
	// "Quyết" decomposed (NFD) is the same feature as composed.
	nfd := "Quye\u0302\u0301t"
	if Features(nfd)["quyết"] != 1 {
		t.Errorf("Features(NFD) = %v, want the composed syllable", Features(nfd))
	}
}

// TestTrainSeparates: a model trained on the generated set tells its kinds
// apart on documents it has not seen, and explains with the kinds' words.
func TestTrainSeparates(t *testing.T) {
	m, err := Train(generate(60, 1), Config{})
	if err != nil {
		t.Fatal(err)
	}
	test := generate(20, 2)
	right := 0
	for _, e := range test {
		s := m.Suggest(e.Text)
		if s.Label == e.Label {
			right++
		}
		if s.Probability <= 0 || s.Probability > 1 || s.RunnerUpProbability > s.Probability {
			t.Fatalf("Suggest: probabilities %v, runner-up %v", s.Probability, s.RunnerUpProbability)
		}
	}
	if acc := float64(right) / float64(len(test)); acc < 0.95 {
		t.Errorf("accuracy %.3f on unseen documents, want at least 0.95", acc)
	}
	s := m.Suggest("ĐƠN KHIẾU NẠI. Kính gửi ủy ban nhân dân huyện. Tôi khiếu nại về việc bồi thường chưa đúng.")
	if s.Label != "complaint" {
		t.Fatalf("Suggest(complaint) = %+v", s)
	}
	var terms []string
	for _, w := range s.For {
		terms = append(terms, w.Term)
		if w.Weight <= 0 {
			t.Errorf("a term for has weight %v", w.Weight)
		}
	}
	if !slices.ContainsFunc(terms, func(s string) bool { return strings.Contains(strings.ToLower(s), "khiếu nại") }) {
		t.Errorf("explanation for complaint: %v, want a term with \"khiếu nại\"", terms)
	}
	for _, w := range s.Against {
		if w.Weight >= 0 {
			t.Errorf("a term against has weight %v", w.Weight)
		}
	}
	if len(s.For) > ExplainTerms || len(s.Against) > ExplainTerms {
		t.Errorf("explanation too long: %d for, %d against", len(s.For), len(s.Against))
	}
}

func TestTrainDeterministic(t *testing.T) {
	a, _ := Train(generate(10, 3), Config{})
	b, _ := Train(generate(10, 3), Config{})
	if !cmp.Equal(a.Weights, b.Weights) {
		t.Error("the same examples gave two models")
	}
}

func TestTrainProgress(t *testing.T) {
	var calls []int
	_, err := Train(generate(5, 3), Config{Epochs: 3, Progress: func(e, n int) { calls = append(calls, e, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 3, 2, 3, 3, 3}, calls); diff != "" {
		t.Errorf("progress calls (-want +got):\n%s", diff)
	}
}

func TestTrainTooFew(t *testing.T) {
	if _, err := Train([]Example{{"a b", "x"}, {"c d", "x"}}, Config{}); err != ErrTooFew {
		t.Errorf("Train(one label) = %v, want ErrTooFew", err)
	}
	if _, err := Train(nil, Config{}); err != ErrTooFew {
		t.Errorf("Train(nothing) = %v, want ErrTooFew", err)
	}
}

func TestMarshal(t *testing.T) {
	m, _ := Train(generate(10, 4), Config{})
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range generate(2, 5) {
		if diff := cmp.Diff(m.Suggest(e.Text), back.Suggest(e.Text)); diff != "" {
			t.Fatalf("a stored model answers otherwise (-before +after):\n%s", diff)
		}
	}
	if _, err := Unmarshal([]byte("not a model")); err == nil {
		t.Error("Unmarshal(junk) succeeded")
	}
}

func TestApply(t *testing.T) {
	sug := pipeline.Suggestion{ModelVersion: 3, Label: "decree", Probability: 0.9, For: []pipeline.Weight{{Term: "nghị định", Weight: 1}}}
	low := sug
	low.Probability = 0.5
	tests := []struct {
		name         string
		ruleType     string
		s            pipeline.Suggestion
		wantType     string
		wantSource   string
		wantDisagree bool
	}{
		{"no rule, confident", pipeline.TypeUnclassified, sug, "decree", pipeline.SourceModel, false},
		{"no rule, unsure", pipeline.TypeUnclassified, low, pipeline.TypeUnclassified, "", false},
		{"rule agrees", "decree", sug, "decree", "", false},
		{"rule disagrees, confident", "circular", sug, "circular", "", true},
		{"rule disagrees, unsure", "circular", low, "circular", "", false},
	}
	for _, tt := range tests {
		res := pipeline.Classification{Type: tt.ruleType}
		got := Apply(&res, tt.s, 0.8)
		if got != tt.wantDisagree || res.Type != tt.wantType || res.TypeSource != tt.wantSource || res.Suggestion == nil {
			t.Errorf("%s: Apply = %v, type %q source %q suggestion %v", tt.name, got, res.Type, res.TypeSource, res.Suggestion)
		}
		if tt.wantSource == pipeline.SourceModel && (res.TypeConfidence != 0.9 || res.ModelVersion != 3 || !strings.Contains(res.Explanation.Summary, "nghị định")) {
			t.Errorf("%s: confidence %v, version %d, summary %q", tt.name, res.TypeConfidence, res.ModelVersion, res.Explanation.Summary)
		}
	}
	res := pipeline.Classification{Type: pipeline.TypeUnclassified}
	if Apply(&res, sug, 1.01); res.Type != pipeline.TypeUnclassified {
		t.Error("a threshold above 1 took the model's type")
	}
}

func BenchmarkTrain10k(b *testing.B) {
	ex := generate(10000/len(kinds)+1, 9)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(ex, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSuggest(b *testing.B) {
	m, _ := Train(generate(100, 9), Config{})
	docs := generate(10, 10)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Suggest(docs[i%len(docs)].Text)
		i++
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		want, got []string
		acc, f1   float64
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, 1, 1},
		{[]string{"a", "a", "b", "b"}, []string{"a", "a", "a", "unclassified"}, 0.5, (0.8 + 0) / 2},
		{nil, nil, 0, 0},
	}
	for _, tt := range tests {
		acc, f1 := Score(tt.want, tt.got)
		if math.Abs(acc-tt.acc) > 1e-9 || math.Abs(f1-tt.f1) > 1e-9 {
			t.Errorf("Score(%v, %v) = %v, %v; want %v, %v", tt.want, tt.got, acc, f1, tt.acc, tt.f1)
		}
	}
}

func TestBody(t *testing.T) {
	long := strings.Repeat("văn bản dài ", 8)
	tests := []struct{ text, want string }{
		{"BỘ TÀI CHÍNH\nSố: 1/2024/TT-BTC\n\n" + long, long},
		{long + "\nSố: 1", ""},
		{"short\nlines\nonly", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := body(tt.text); got != tt.want {
			t.Errorf("body(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestHeadingless: a model trained on documents with their heading lines
// knows them without: the bodies are learned too.
func TestHeadingless(t *testing.T) {
	var ex []Example
	for _, e := range generate(30, 6) {
		ex = append(ex, Example{Text: "HEADER " + e.Label + "\nNo. 12\n" + e.Text, Label: e.Label})
	}
	m, err := Train(ex, Config{})
	if err != nil {
		t.Fatal(err)
	}
	right, test := 0, generate(10, 8)
	for _, e := range test {
		if m.Suggest(e.Text).Label == e.Label {
			right++
		}
	}
	if acc := float64(right) / float64(len(test)); acc < 0.9 {
		t.Errorf("accuracy %.3f on bodies without their heading, want at least 0.9", acc)
	}
}

// TestPropose: the draft rule for a kind names its own words, matches
// most of its documents and few others, and the rule language reads it.
func TestPropose(t *testing.T) {
	ex := generate(40, 11)
	p, err := Propose(ex, "complaint", ProposeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Documents != 40 || p.Others != 240 || len(p.Terms) == 0 {
		t.Fatalf("proposal %+v", p)
	}
	own := strings.ToLower(strings.Join(kinds["complaint"], " | "))
	for _, term := range p.Terms {
		if !strings.Contains(own, term.Term) {
			t.Errorf("proposed term %q is not one of the kind's words (%s)", term.Term, own)
		}
		if strings.ContainsAny(term.Term, "0123456789") {
			t.Errorf("proposed term %q has digits", term.Term)
		}
	}
	if err := p.DryRun(ex); err != nil {
		t.Fatalf("%v\n%s", err, p.Rule())
	}
	if p.MatchIn < 36 || p.MatchOut > 5 {
		t.Errorf("the draft rule matches %d of 40 complaints and %d of 240 others:\n%s", p.MatchIn, p.MatchOut, p.Rule())
	}
	if _, err := Propose(ex, "nothing-like-it", ProposeConfig{}); pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		t.Errorf("Propose(unknown type) = %v, want ENOTFOUND", err)
	}
}

// TestSpreadWeights: a term every kind uses alike weighs far less than
// one that names a kind, and the explanation's weights
// still add up to the log-odds of the answer over the runner-up.
func TestSpreadWeights(t *testing.T) {
	m, err := Train(generate(60, 1), Config{})
	if err != nil {
		t.Fatal(err)
	}
	weight := func(term string) float32 {
		i := slices.Index(m.Terms, term)
		if i < 0 {
			t.Fatalf("no term %q", term)
		}
		return m.IDF[i]
	}
	// "khiếu" is in the complaint's words only; "huyện" in the words all
	// kinds share.
	if k, h := weight("khiếu"), weight("huyện"); k <= 5*h {
		t.Errorf("weight of \"khiếu\" %.3f, of \"huyện\" %.3f: want the kind's word to weigh at least five times the shared one (rarity alone gives about twice)", k, h)
	}
	text := "ĐƠN KHIẾU NẠI. Kính gửi ủy ban nhân dân huyện. Tôi khiếu nại về việc bồi thường chưa đúng."
	p := m.Probabilities(text)
	s := m.Suggest(text)
	best, second := slices.Index(m.Labels, s.Label), slices.Index(m.Labels, s.RunnerUp)
	x := m.vectorize(Features(text))
	sum := float64(m.Bias[best] - m.Bias[second])
	nl := len(m.Labels)
	for j, i := range x.idx {
		sum += float64(x.val[j] * (m.Weights[int(i)*nl+best] - m.Weights[int(i)*nl+second]))
	}
	if got := math.Log(p[best] / p[second]); math.Abs(got-sum) > 1e-3 {
		t.Errorf("log-odds %.4f, terms and base rates sum to %.4f", got, sum)
	}
}
