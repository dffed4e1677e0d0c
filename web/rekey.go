package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/image/tiff"

	"hoso/extract"
	"hoso/pipeline"
)

type rekeyPage struct {
	Doc     *pipeline.Document
	Page    pipeline.Page
	Pages   int
	Message string
}

// HasImage tells whether the page can be shown as a picture beside its
// text: scans and PDFs can, text files and office documents cannot.
func (p *rekeyPage) HasImage() bool {
	switch p.Doc.MIME {
	case extract.MIMEPNG, extract.MIMEJPEG, extract.MIMEPDF:
		return true
	case extract.MIMETIFF:
		return p.Page.Number == 1
	}
	return false
}

func (p *rekeyPage) title(v *view) string {
	return v.T("rekey.title", p.Page.Number, p.Doc.Filename)
}

// pageParam reads the page number of the path.
func pageParam(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, pipeline.Errorf(pipeline.EINVALID, "%q is not a page number.", r.PathValue("n"))
	}
	return n, nil
}

func (s *Server) rekeyLoad(w http.ResponseWriter, r *http.Request) (*rekeyPage, bool) {
	d, ok := s.document(w, r)
	if !ok {
		return nil, false
	}
	n, err := pageParam(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	pages, err := s.cfg.Store.PageListByDocument(r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if n > len(pages) {
		s.fail(w, r, pipeline.Errorf(pipeline.ENOTFOUND, "Document %d has no page %d.", d.ID, n))
		return nil, false
	}
	return &rekeyPage{Doc: d, Page: pages[n-1], Pages: len(pages)}, true
}

// rekeyForm shows a page's image beside its text, to correct it.
func (s *Server) rekeyForm(w http.ResponseWriter, r *http.Request) {
	page, ok := s.rekeyLoad(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "rekey", page)
}

// rekeySave stores the corrected text; classification, detection and the
// index follow, and the audit trail keeps who changed what.
func (s *Server) rekeySave(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	page, ok := s.rekeyLoad(w, r)
	if !ok {
		return
	}
	text := strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")
	text = strings.TrimSpace(text)
	if text == "" {
		page.Message = s.translator(r).T("rekey.empty")
		s.render(w, r, http.StatusBadRequest, "rekey", page)
		return
	}
	old, err := s.cfg.Store.PageCorrect(r.Context(), pipeline.PageCorrectParams{Scope: scope(r), DocumentID: page.Doc.ID,
		Number: page.Page.Number, Text: text, Quality: extract.Quality(text), Language: extract.Language(text),
		KeepDepartment: currentUser(r).Role != pipeline.RoleSupervisor})
	if err != nil {
		if code := pipeline.ErrorCode(err); code == pipeline.ECONFLICT {
			page.Message = pipeline.ErrorMessage(err)
			s.render(w, r, http.StatusConflict, "rekey", page)
			return
		}
		s.fail(w, r, err)
		return
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:8]) }
	if err := s.audit(r, pipeline.AuditCorrection, docObject(page.Doc.ID), map[string]any{"page": page.Page.Number,
		"before": map[string]any{"sha256": sum(old), "characters": len([]rune(old)), "extractor": page.Page.Extractor, "confidence": page.Page.Confidence},
		"after":  map[string]any{"sha256": sum(text), "characters": len([]rune(text))}}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/documents/%d", page.Doc.ID), http.StatusSeeOther)
}

// pageImage serves a page as a picture, for the correction page: PDF
// pages rendered by pdftoppm at 100 dpi, images as they are (TIFF as PNG).
func (s *Server) pageImage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	n, err := pageParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	path, err := s.cfg.Blobs.Path(r.Context(), d.SHA256)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A bounded number of renders at once; the others are asked to come
	// back rather than wait and pile up.
	select {
	case s.renders <- struct{}{}:
		defer func() { <-s.renders }()
	default:
		w.Header().Set("Retry-After", "5")
		s.fail(w, r, pipeline.Errorf(pipeline.EBUSY, "Pages are being drawn for others; try again in a few seconds."))
		return
	}
	img, ctype, err := renderPage(r.Context(), path, d.MIME, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(img)
}

// MaxPageSide is the longest side of a page picture, in pixels: a page
// of A4 at about 135 dpi.
const MaxPageSide = 1600

// MaxPagePixels is the largest picture decoded to be shown (TIFF).
const MaxPagePixels = 40_000_000

// renderMemory is the address space a renderer may use.
const renderMemory = 1 << 30

func renderPage(ctx context.Context, path, mime string, n int) ([]byte, string, error) {
	switch mime {
	case extract.MIMEPNG, extract.MIMEJPEG:
		if n != 1 {
			break
		}
		b, err := os.ReadFile(path)
		return b, mime, err
	case extract.MIMETIFF:
		if n != 1 {
			return nil, "", pipeline.Errorf(pipeline.EUNSUPPORTED, "Only the first page of a TIFF can be shown here; download the original for the others.")
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		// Decoding allocates the whole picture: look at its size first.
		if cfg, err := tiff.DecodeConfig(f); err == nil && cfg.Width*cfg.Height > MaxPagePixels {
			return nil, "", pipeline.Errorf(pipeline.ETOOLARGE, "The page is too large to show (%d × %d pixels); download the original.", cfg.Width, cfg.Height)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, "", err
		}
		img, err := tiff.Decode(f)
		if err != nil {
			return nil, "", pipeline.Errorf(pipeline.ECORRUPT, "The TIFF cannot be shown: %v", err)
		}
		var buf bytes.Buffer
		err = png.Encode(&buf, img)
		return buf.Bytes(), "image/png", err
	case extract.MIMEPDF:
		tool, err := exec.LookPath("pdftoppm")
		if err != nil {
			return nil, "", pipeline.Errorf(pipeline.EUNSUPPORTED, "Pages cannot be shown: install poppler-utils (pdftoppm).")
		}
		dir, err := os.MkdirTemp("", "hoso-page-")
		if err != nil {
			return nil, "", err
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out := filepath.Join(dir, "page")
		// The picture fits in MaxPageSide pixels whatever the page's size
		// (a 14,400 pt page took 790 MB at 100 dpi), and pdftoppm runs
		// with a memory and a processor limit of its own.
		cmd := extract.LimitedCommand(ctx, renderMemory, 20, tool, "-scale-to", strconv.Itoa(MaxPageSide), "-gray", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), "-singlefile", "-png", path, out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, "", pipeline.Errorf(pipeline.ECORRUPT, "Page %d cannot be shown: %s", n, strings.TrimSpace(string(msg)))
		}
		b, err := os.ReadFile(out + ".png")
		return b, "image/png", err
	}
	return nil, "", pipeline.Errorf(pipeline.EUNSUPPORTED, "This kind of file has no page pictures; its text is shown as extracted.")
}
