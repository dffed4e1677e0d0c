package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hoso/web"
)

// formatsInCode finds, in the module's non-test sources, every message
// format that may reach a page: the literal formats of pipeline.Errorf,
// the rule-file problems classify reports (its add and fmt.Errorf
// formats), the names extract.Describe returns, the time limits
// extract.limitText writes, and the messages of the sandbox's crashes
// (a Message field given a literal or a fmt.Sprintf format).
func formatsInCode(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		pkg := f.Name.Name
		literal := func(e ast.Expr) (string, bool) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
		// format is a literal, or the literal format of fmt.Sprintf.
		format := func(e ast.Expr) (string, bool) {
			if c, ok := e.(*ast.CallExpr); ok && len(c.Args) > 0 {
				if fn, ok := c.Fun.(*ast.SelectorExpr); ok && fn.Sel.Name == "Sprintf" {
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fmt" {
						return literal(c.Args[0])
					}
				}
				return "", false
			}
			return literal(e)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if pkg == "extract" && (n.Name.Name == "Describe" || n.Name.Name == "limitText") {
					ast.Inspect(n.Body, func(m ast.Node) bool {
						if r, ok := m.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
							if s, ok := format(r.Results[0]); ok {
								out[s] = fset.Position(r.Pos()).String()
							}
						}
						return true
					})
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Message" {
					if s, ok := format(n.Value); ok {
						out[s] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.AssignStmt:
				if sel, ok := n.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Message" && len(n.Rhs) == 1 {
					if s, ok := format(n.Rhs[0]); ok {
						out[s] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.CallExpr:
				name, arg := "", -1
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok {
						name = x.Name + "." + fn.Sel.Name
					}
				case *ast.Ident:
					name = pkg + "." + fn.Name
				}
				switch {
				case name == "pipeline.Errorf":
					arg = 1
				case pkg == "classify" && name == "classify.add":
					arg = 1
				case pkg == "classify" && (name == "fmt.Errorf" || name == "errors.New" || name == "fmt.Sprintf"):
					arg = 0
				}
				if arg >= 0 && len(n.Args) > arg {
					if s, ok := literal(n.Args[arg]); ok && !(pkg == "classify" && name == "fmt.Sprintf" && !strings.HasPrefix(s, "line ")) {
						out[s] = fset.Position(n.Pos()).String()
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMessagesTranslated: every message format in the code has a
// Vietnamese translation.
func TestMessagesTranslated(t *testing.T) {
	known := web.MessageFormats("vi")
	found := formatsInCode(t)
	if len(found) < 100 {
		t.Fatalf("found only %d formats; the scan is broken", len(found))
	}
	for format, where := range found {
		bare := strings.Trim(strings.NewReplacer("%s", "", "%v", "", "%q", "", "%d", "", "%w", "").Replace(format), " :")
		if bare == "" || strings.Contains(format, "%w") || strings.HasPrefix(format, "search:") {
			continue // wraps another error, or says nothing of its own
		}
		if !slices.Contains(known, format) {
			t.Errorf("%s: %q has no Vietnamese translation in web/i18n/messages/vi.json", where, format)
		}
	}
}

func TestMessageTranslation(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Document 12 does not exist.", "Tài liệu 12 không tồn tại."},
		{"The file is empty.", "Tệp rỗng."},
		{`You do not work in department "land"; upload for one of yours (justice).`, `Bạn không làm việc ở phòng ban "land"; hãy tải lên cho một phòng ban của bạn (justice).`},
		// A kind of file is translated, and the sentence starts upper case.
		{"The Word document contains no text.", "Văn bản Word không có chữ nào."},
		{"OCR found no text in this image (png): its pages are blank, or the text is too faint or small to read.", "OCR không tìm thấy chữ trong ảnh (png) này: các trang đều trống, hoặc chữ quá mờ hay quá nhỏ để đọc."},
		// A reason stored by an earlier version reads as well.
		{"OCR found no text in this image (png): the scan is blank, or too faint or small to read.", "OCR không tìm thấy chữ trong ảnh (png) này: bản quét trống, hoặc chữ quá mờ hay quá nhỏ để đọc."},
		// A file set aside: its time limit in words, a message inside a message.
		{"Extraction took longer than 2 minutes; the file is probably damaged or far too complex. The file was set aside after 2 attempts.", "Trích xuất mất hơn 2 phút; tệp có lẽ bị hỏng hoặc quá phức tạp. Tệp đã được để riêng sau 2 lần thử."},
		// A message inside a message.
		{"The upload was cut off or malformed. The files received before it are in batch 7.", "Tệp tải lên bị cắt cụt hoặc sai cấu trúc. Các tệp đã nhận trước đó nằm trong lô 7."},
		// A rule-file problem: the line, then the problem.
		{`line 4: rule "nd-01" has no type`, `dòng 4: quy tắc "nd-01" không có loại`},
		{`line 9: rule "x": fuzzy "abc" must be one word`, `dòng 9: quy tắc "x": fuzzy "abc" phải là một từ`},
		// What the catalog does not know stays as it is.
		{"zip: not a valid zip file", "zip: not a valid zip file"},
		{"", ""},
	} {
		if got := web.TranslateMessage("vi", c.in); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := web.TranslateMessage("en", c.in); got != c.in {
			t.Errorf("English %q became %q", c.in, got)
		}
	}
}
