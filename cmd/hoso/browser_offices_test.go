package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/chromedp/chromedp"

	"hoso/classify"
	"hoso/web"
)

// TestBrowserOffices walks hoso as four offices use it, in Vietnamese: a
// clerk of two departments uploads a batch for one of them, whose officer
// finds it while the other department's officer does not; the clerk
// moves a document to the other department and its officer then sees it;
// a supervisor is refused a decision whose reason contradicts it; an
// admin opens the users and audit pages. Every page on the way is checked
// for English words and codes (catalog English, type, department and tag
// codes) and for horizontal overflow at 1,366 and 390 px; the fonts are
// checked to draw Vietnamese letters whole.
func TestBrowserOffices(t *testing.T) {
	b := backends(t)[0]
	clerk := oneTimePassword(t, b, "lan", "clerk", "land", "construction")
	landOfficer := oneTimePassword(t, b, "minh", "officer", "land")
	buildOfficer := oneTimePassword(t, b, "tuan", "officer", "construction")
	supervisor := oneTimePassword(t, b, "son", "supervisor", "land", "construction")
	admin := oneTimePassword(t, b, "quantri", "admin")
	base := serveTest(t, b)
	ctx := chrome(t, chromedp.Flag("accept-lang", "vi-VN,vi"))
	w := newPageWalk(t, ctx, base)
	// Each signs in first with a one-time password and chooses their own.
	passwords := map[string]string{"lan": clerk, "minh": landOfficer, "tuan": buildOfficer, "son": supervisor, "quantri": admin}
	login := func(name string) {
		t.Helper()
		signIn(t, ctx, base, name, passwords[name])
		passwords[name] = "mật khẩu riêng của " + name
	}

	abs := func(name string) string {
		p, _ := filepath.Abs(filepath.Join("testdata", "fixtures", name))
		return p
	}
	copyPath := filepath.Join(t.TempDir(), "ban-sao-don.txt")
	if data, err := os.ReadFile(abs("don-de-nghi-cap-phep.txt")); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	// The clerk uploads a batch for the land department. The application
	// is for a construction permit, a type the rules give to construction,
	// but it was uploaded for land and no rule says otherwise.
	login("lan")
	w.check("lan", "/batches")
	var batchURL, table string
	step(t, ctx, "upload a batch for land",
		chromedp.Navigate(base+"/batches"),
		chromedp.WaitVisible(chromedp.CSS("#batch-name")),
		chromedp.SendKeys(chromedp.CSS("#batch-name"), "Hồ sơ đất đai tháng 11"),
		chromedp.SetValue(chromedp.CSS("#department"), "land"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{abs("don-de-nghi-cap-phep.txt"), copyPath, abs("quyet-dinh.html")}),
		chromedp.WaitVisible(chromedp.CSS("#progress li")),
		chromedp.Click(chromedp.CSS("#upload button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#batch")),
		chromedp.WaitVisible(chromedp.CSS(`#batch[data-done="true"]`)),
		into(&batchURL, chromedp.Location()),
		into(&table, chromedp.Text(chromedp.CSS("#batch table"))),
	)
	if strings.Count(table, "tra cứu được") != 3 {
		t.Errorf("the batch after it finished:\n%s", table)
	}
	w.check("lan", strings.TrimPrefix(batchURL, base))
	signOut(t, ctx)

	// The land officer finds the application; the construction officer
	// does not, and may not open it.
	login("minh")
	var hits, docURL string
	step(t, ctx, "the land officer searches",
		chromedp.Navigate(base+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "đơn xin cấp giấy phép xây dựng nhà ở"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("ol.hits li")),
		into(&hits, chromedp.Text(chromedp.CSS("ol.hits"))),
		chromedp.Click(chromedp.CSS(`ol.hits a[href^="/documents/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#why-h")),
		into(&docURL, chromedp.Location()),
	)
	if !strings.Contains(hits, "don-de-nghi-cap-phep.txt") && !strings.Contains(hits, "ban-sao-don.txt") {
		t.Errorf("the land officer's hits:\n%s", hits)
	}
	docPath := strings.TrimPrefix(docURL, base)
	for _, p := range []string{"/search", "/search?q=gi%E1%BA%A5y+ph%C3%A9p+x%C3%A2y+d%E1%BB%B1ng", "/search?q=kh%C3%B4ngc%C3%B3t%E1%BB%AB+n%C3%A0o+nh%C6%B0+v%E1%BA%ADy",
		"/search?q=type%3A", docPath} {
		w.check("minh", p)
	}
	signOut(t, ctx)

	login("tuan")
	var none, denied string
	step(t, ctx, "the construction officer searches",
		chromedp.Navigate(base+"/search?q="+urlQuery("giấy phép xây dựng")),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
		into(&none, chromedp.Text(chromedp.CSS("main"))),
		chromedp.Navigate(docURL),
		chromedp.WaitVisible(chromedp.CSS("main p.error")),
		into(&denied, chromedp.Text(chromedp.CSS("main p.error"))),
	)
	if strings.Contains(none, "don-de-nghi-cap-phep.txt") {
		t.Errorf("the construction officer finds the land department's document:\n%s", none)
	}
	if !strings.Contains(denied, "không tồn tại hoặc thuộc một phòng ban") {
		t.Errorf("the construction officer opening it sees: %s", denied)
	}
	w.check("tuan", docPath) // the error page
	signOut(t, ctx)

	// The clerk corrects type and department; the construction officer
	// then sees the document.
	login("lan")
	var facts string
	step(t, ctx, "the clerk corrects the classification",
		chromedp.Navigate(docURL),
		chromedp.WaitVisible(chromedp.CSS("#correct-h")),
		chromedp.SetValue(chromedp.CSS("#c-type"), "application"),
		chromedp.SetValue(chromedp.CSS("#c-dep"), "construction"),
		chromedp.SendKeys(chromedp.CSS("#c-reason"), "Hồ sơ xin phép xây dựng, chuyển phòng Xây dựng xử lý."),
		chromedp.Click(chromedp.CSS(`form[action$="/classification"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("main p.notice")),
		into(&facts, chromedp.Text(chromedp.CSS("dl.facts"))),
	)
	if !strings.Contains(facts, "Xây dựng") || !strings.Contains(facts, "do người sửa") {
		t.Errorf("the document after the correction:\n%s", facts)
	}
	w.check("lan", docPath)
	w.check("lan", docPath+"/pages/1/edit") // the page correction form
	w.check("lan", "/account/password")
	signOut(t, ctx)

	login("tuan")
	var heading string
	step(t, ctx, "the construction officer opens the moved document",
		chromedp.Navigate(docURL),
		chromedp.WaitVisible(chromedp.CSS("#why-h")),
		into(&heading, chromedp.Text(chromedp.CSS("main h1"))),
	)
	signOut(t, ctx)

	// The supervisor: a reason that contradicts the decision is refused.
	login("son")
	var flagURL, refused, meta string
	var offered bool
	step(t, ctx, "a contradictory decision",
		chromedp.Navigate(base+"/flags"),
		chromedp.WaitVisible(chromedp.CSS(`table a[href^="/flags/"]`)),
		chromedp.Click(chromedp.CSS(`table a[href^="/flags/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#decide-h")),
		into(&flagURL, chromedp.Location()),
		chromedp.Click(chromedp.CSS(`input[name="status"][value="dismissed"]`)),
		// The form offers only the reasons that fit a dismissal …
		into(&offered, chromedp.Evaluate[bool](`!document.querySelector('#reason option[value="confirmed_fraud"]').parentNode.disabled`)),
		// … and the server refuses one forced in all the same.
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("reason");
			s.querySelectorAll("optgroup").forEach(g => { g.disabled = false; g.hidden = false; });
			s.value = "confirmed_fraud"; })()`),
		chromedp.Click(chromedp.CSS(`form[action$="/decisions"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#decide-h ~ p.error")),
		into(&refused, chromedp.Text(chromedp.CSS("#decide-h ~ p.error"))),
		into(&meta, chromedp.Text(chromedp.CSS("main p.meta"))),
	)
	if offered {
		t.Error("the form offers “confirmed: fraud” as a reason to dismiss")
	}
	if !strings.Contains(refused, "không phù hợp với quyết định") {
		t.Errorf("the refusal says: %q", refused)
	}
	if strings.Contains(meta, "bác bỏ") {
		t.Errorf("the flag was dismissed all the same: %s", meta)
	}
	flagPath := strings.TrimPrefix(flagURL, base)
	for _, p := range []string{"/flags", flagPath, "/flags?status=all", "/rules", "/dashboard"} {
		w.check("son", p)
	}
	signOut(t, ctx)

	// The admin's pages.
	login("quantri")
	for _, p := range []string{"/admin/users", "/admin/audit", "/admin/audit?action=classification_change", "/rules"} {
		w.check("quantri", p)
	}
	var back string
	step(t, ctx, "River's job UI links back",
		chromedp.Navigate(base+"/admin/jobs/"),
		chromedp.WaitVisible(chromedp.CSS("nav.hoso-back a")),
		into(&back, chromedp.Text(chromedp.CSS("nav.hoso-back"))),
		chromedp.Click(chromedp.CSS("nav.hoso-back a")),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if !strings.Contains(back, "Về trang hoso") {
		t.Errorf("River's UI bar: %q", back)
	}
	signOut(t, ctx)
	w.check("", "/login")

	// The fonts draw Vietnamese letters whole: in every kind of text the
	// pages show (body, extracted text, code), a letter with its marks is
	// no wider than the bare letter and reaches above or below it.
	login("son")
	step(t, ctx, "open the rules editor", chromedp.Navigate(base+"/rules"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	checkVietnameseGlyphs(t, ctx)
	signOut(t, ctx)
	if t.Failed() {
		return
	}
	t.Logf("%d pages checked at 1366 and 390 px", len(w.seen))
}

func urlQuery(s string) string { return strings.ReplaceAll(urlEscape(s), "%20", "+") }

func urlEscape(s string) string {
	var sb strings.Builder
	for _, b := range []byte(s) {
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.' {
			sb.WriteByte(b)
		} else {
			fmt.Fprintf(&sb, "%%%02X", b)
		}
	}
	return sb.String()
}

// pageWalk checks pages as they are visited.
type pageWalk struct {
	t       *testing.T
	ctx     context.Context
	base    string
	english map[string]bool // words of the catalogs' English side
	codes   map[string]bool // type, department and tag codes
	seen    map[string]bool
	shots   string // where to keep screenshots; HOSO_SCREENSHOTS
}

func newPageWalk(t *testing.T, ctx context.Context, base string) *pageWalk {
	w := &pageWalk{t: t, ctx: ctx, base: base, english: map[string]bool{}, codes: map[string]bool{}, seen: map[string]bool{},
		shots: os.Getenv("HOSO_SCREENSHOTS")}
	// Vietnamese vocabulary: what the Vietnamese side may say.
	vi := map[string]bool{}
	for _, v := range web.Catalog("vi") {
		for _, word := range letters(v) {
			vi[strings.ToLower(word)] = true
		}
	}
	for _, word := range []string{"hoso", "json", "jsonl", "lines", "bearer", "token", "poppler", "utils", "pdftoppm", "tesseract"} {
		vi[word] = true
	}
	for _, v := range web.Catalog("en") {
		for _, word := range letters(v) {
			if lw := strings.ToLower(word); len([]rune(lw)) >= 4 && !vi[lw] && isASCII(lw) {
				w.english[lw] = true
			}
		}
	}
	rs := classify.DefaultRules()
	for _, ty := range rs.Types {
		w.codes[ty.ID] = true
	}
	for _, r := range rs.Rules {
		for _, tag := range r.Tags {
			w.codes[tag] = true
		}
	}
	for _, d := range allDepartments {
		w.codes[d] = true
	}
	w.codes["intake"] = true
	if w.shots != "" {
		if err := os.MkdirAll(w.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func letters(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// pageTextJS returns what a reader sees of the page in its own words:
// the text and the attributes people read (placeholders, titles, labels),
// leaving out what people wrote (marked translate="no": file and batch
// names, extracted text, notes, the rule file).
const pageTextJS = `(() => {
  const c = document.body.cloneNode(true);
  c.querySelectorAll('[translate="no"], script, style, noscript').forEach(e => e.remove());
  const parts = [c.textContent];
  c.querySelectorAll('[placeholder], [title], [aria-label], [alt], [data-label]').forEach(e => {
    for (const a of ['placeholder', 'title', 'aria-label', 'alt', 'data-label']) { if (e.hasAttribute(a)) parts.push(e.getAttribute(a)); }
  });
  c.querySelectorAll('*').forEach(e => { for (const a of e.attributes) { if (a.name.startsWith('data-msg-')) parts.push(a.value); } });
  return JSON.stringify({lang: document.documentElement.lang, title: document.title, text: parts.join('\n')});
})()`

// check opens a page as the signed-in user and checks it.
func (w *pageWalk) check(who, path string) {
	t := w.t
	t.Helper()
	var raw string
	step(t, w.ctx, "open "+path,
		chromedp.Navigate(w.base+path),
		chromedp.WaitReady(chromedp.CSS("main h1")),
		into(&raw, chromedp.Evaluate[string](pageTextJS)),
	)
	w.seen[who+" "+path] = true
	var page struct{ Lang, Title, Text string }
	if err := jsonUnmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	if page.Lang != "vi" {
		t.Errorf("%s %s: the page is in %q, not Vietnamese", who, path, page.Lang)
	}
	text := page.Title + "\n" + page.Text
	var english, codes []string
	for _, tok := range tokens(text) {
		if w.codes[tok.word] {
			codes = append(codes, fmt.Sprintf("%q in “%s”", tok.word, tok.context))
		} else if lw := strings.ToLower(tok.word); w.english[lw] {
			english = append(english, fmt.Sprintf("%q in “%s”", tok.word, tok.context))
		}
	}
	if len(english) > 0 {
		t.Errorf("%s %s: English on the Vietnamese page:\n  %s", who, path, strings.Join(dedupe(english), "\n  "))
	}
	if len(codes) > 0 {
		t.Errorf("%s %s: codes on the page:\n  %s", who, path, strings.Join(dedupe(codes), "\n  "))
	}
	for _, width := range []int64{1366, 390} {
		var sizes []int
		var shot []byte
		actions := []chromedp.Action[chromedp.Void]{
			chromedp.EmulateViewport(width, 900),
			into(&sizes, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)),
		}
		if w.shots != "" {
			actions = append(actions, into(&shot, chromedp.FullScreenshot(100)))
		}
		step(t, w.ctx, fmt.Sprintf("%s at %d px", path, width), actions...)
		if len(sizes) == 2 && sizes[0] > sizes[1] {
			t.Errorf("%s %s at %d px: the page is %d px wide, wider than the window (%d px)", who, path, width, sizes[0], sizes[1])
		}
		if shot != nil {
			name := fmt.Sprintf("%s%s-%d.png", who, regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(path, "_"), width)
			_ = os.WriteFile(filepath.Join(w.shots, name), shot, 0o644)
		}
	}
	step(t, w.ctx, "back to 1366 px", chromedp.EmulateViewport(1366, 900))
}

type token struct{ word, context string }

// tokens splits text into words (letters, digits, '-' and '_' inside a
// word), each with the text around it.
func tokens(text string) []token {
	var out []token
	runes := []rune(text)
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' }
	for i := 0; i < len(runes); {
		if !isWord(runes[i]) {
			i++
			continue
		}
		j := i
		for j < len(runes) && isWord(runes[j]) {
			j++
		}
		word := strings.Trim(string(runes[i:j]), "-_")
		from, to := max(0, i-30), min(len(runes), j+30)
		ctx := strings.Join(strings.Fields(string(runes[from:to])), " ")
		out = append(out, token{word, ctx})
		// a code may be part of a longer one ("land-application")
		if strings.ContainsAny(word, "-_") {
			for _, part := range strings.FieldsFunc(word, func(r rune) bool { return r == '-' || r == '_' }) {
				out = append(out, token{part, ctx})
			}
		}
		i = j
	}
	return out
}

func dedupe(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("… and %d more", len(out)-12))
	}
	return out
}

// checkVietnameseGlyphs draws Vietnamese letters in the fonts hoso's
// style sheet gives body text, extracted text and code, takes a
// screenshot of each, and compares its ink with the bare letter's: the
// marks must sit on the letter (ink no wider than the letter's advance
// allows) and be there (ink taller than the bare letter's).
func checkVietnameseGlyphs(t *testing.T, ctx context.Context) {
	t.Helper()
	pairs := [][2]string{{"e", "ế"}, {"o", "ộ"}, {"u", "ữ"}, {"a", "ặ"}, {"o", "ở"}, {"y", "ỹ"}}
	kinds := [][3]string{{"body", "span", ""}, {"extracted text", "pre", "text"}, {"code", "pre", "code-sample"}}
	step(t, ctx, "draw Vietnamese letters",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const box = document.createElement('div'); box.id = 'glyphs'; document.querySelector('main').prepend(box);
			const kinds = %s, pairs = %s;
			kinds.forEach((k, i) => pairs.forEach((p, j) => p.forEach((ch, m) => {
				const e = document.createElement(k[1]); if (k[2]) e.className = k[2];
				e.id = 'g' + i + '-' + j + '-' + m; e.textContent = ch;
				e.style.cssText = 'display:inline-block;font-size:48px;line-height:1;padding:16px;margin:0;background:#fff;color:#000;max-height:none;border-radius:0';
				box.appendChild(e);
			})));
		})()`, jsonString(kinds), jsonString(pairs))),
	)
	ink := func(id string) (image.Rectangle, bool) {
		var buf []byte
		step(t, ctx, "screenshot "+id, into(&buf, chromedp.Screenshot(chromedp.CSS("#"+id))))
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			t.Fatalf("screenshot %s: %v", id, err)
		}
		var r image.Rectangle
		found := false
		bnd := img.Bounds()
		for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
			for x := bnd.Min.X; x < bnd.Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				if (cr+cg+cb)/3 < 0x8000 {
					p := image.Rect(x, y, x+1, y+1)
					if !found {
						r, found = p, true
					} else {
						r = r.Union(p)
					}
				}
			}
		}
		return r, found
	}
	for i, k := range kinds {
		for j, p := range pairs {
			bare, ok1 := ink(fmt.Sprintf("g%d-%d-0", i, j))
			marked, ok2 := ink(fmt.Sprintf("g%d-%d-1", i, j))
			if !ok1 || !ok2 {
				t.Errorf("%s: %q or %q draws nothing", k[0], p[0], p[1])
				continue
			}
			if marked.Dx() > bare.Dx()*13/10+4 {
				t.Errorf("%s: %q is %d px wide, %q %d px: its marks stand beside the letter", k[0], p[1], marked.Dx(), p[0], bare.Dx())
			}
			if marked.Dy() <= bare.Dy() {
				t.Errorf("%s: %q is no taller than %q: its marks are missing", k[0], p[1], p[0])
			}
		}
	}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
