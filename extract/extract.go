// Package extract turns an original file into pages of text: it finds the
// format by content (Sniff), reads PDF, DOCX, ODT, HTML and plain text,
// normalizes to NFC and scores each page's quality. Extraction of untrusted
// files runs in a child process (Sandbox) so that a reader that panics,
// loops, overflows its stack or asks for 100 GiB takes down only the child.
package extract

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"time"

	"hoso/pipeline"
)

// Extractor names, recorded per page.
const (
	ExtractorPDF       = "pdf"       // ledongthuc/pdf with hoso's layout walker
	ExtractorPDFToText = "pdftotext" // poppler's pdftotext, when installed
	ExtractorDOCX      = "docx"
	ExtractorODT       = "odt"
	ExtractorHTML      = "html"
	ExtractorText      = "text"
)

// PageText is the text of one page and where it came from.
type PageText struct {
	Text      string  `json:"text"`
	Quality   float64 `json:"quality"`
	Extractor string  `json:"extractor"`
	// Confidence is OCR's mean word confidence, 0–100 (0 for text
	// layers); Language the page's own ("vi", "en" or "").
	Confidence float64 `json:"confidence,omitempty"`
	Language   string  `json:"language,omitempty"`
	// Scan marks a PDF page that an image covers most of: when its text
	// layer is missing or junk, OCR reads it.
	Scan bool `json:"scan,omitempty"`
}

// NeedsReview reports an OCR page a person should check against its
// image.
func (p PageText) NeedsReview() bool {
	return p.Extractor == ExtractorOCR && (p.Confidence < NeedsReviewConfidence || p.Quality < NeedsReviewQuality)
}

// Result is what extraction found in a file.
type Result struct {
	MIME     string     `json:"mime"`
	Encoding string     `json:"encoding,omitempty"` // for plain text
	Language string     `json:"language,omitempty"` // "vi", "en" or "" (see Language)
	Pages    []PageText `json:"pages"`
	Quality  float64    `json:"quality"`
	// Message holds an e-mail's header fields; Attachments the files it
	// carried, saved under Options.AttachDir.
	Message     *Message     `json:"message,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Extractor is the name of the extractor that produced most of the text.
func (r *Result) Extractor() string {
	count := map[string]int{}
	best := ""
	for _, p := range r.Pages {
		count[p.Extractor]++
		if count[p.Extractor] > count[best] {
			best = p.Extractor
		}
	}
	return best
}

// Options bound the work of one extraction.
type Options struct {
	// Deadline is when extraction must have finished; tools run from the
	// extractor (pdftotext) are killed then.
	Deadline time.Time
	// MaxPages is the most pages read from one document; 0 means 5000.
	MaxPages int
	// PDFToText is the path of pdftotext, or "" when it is not installed.
	PDFToText string
	// AttachDir is where the attachments of e-mails are saved; "" lists
	// them without saving.
	AttachDir string
}

// File extracts the text of the file at path, in-process. Untrusted input
// goes through a Sandbox, which calls File in a child process.
func File(ctx context.Context, path string, opts Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open original: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat original: %w", err)
	}
	mime, err := Sniff(f, st.Size())
	if err != nil {
		return nil, err
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = 5000
	}
	res, err := read(ctx, f, st.Size(), path, mime, opts)
	if err != nil {
		return res, err
	}
	for i := range res.Pages {
		res.Pages[i].Text = normalize(res.Pages[i].Text)
		res.Pages[i].Quality = Quality(res.Pages[i].Text)
	}
	res.Quality = DocumentQuality(res.Pages)
	res.Language = documentLanguage(res.Pages)
	if res.Quality == 0 && len(res.Attachments) == 0 {
		if mime == MIMEPDF {
			return res, pipeline.Errorf(pipeline.ENEEDSOCR, "This PDF has no text layer (it is probably a scan): its text can only be read by OCR.")
		}
		return res, pipeline.Errorf(pipeline.EEMPTY, "The %s contains no text.", Describe(mime))
	}
	return res, nil
}

// read reads a file of the given kind by its reader.
func read(ctx context.Context, f *os.File, size int64, path, mime string, opts Options) (*Result, error) {
	res := &Result{MIME: mime}
	var err error
	switch mime {
	case MIMEPDF:
		res.Pages, err = PDF(ctx, f, size, path, opts)
		for i := range res.Pages {
			if t, ok := Unshift(res.Pages[i].Text); ok {
				res.Pages[i].Text = t
			}
		}
	case MIMEDOCX:
		res.Pages, err = DOCX(f, size)
	case MIMEODT:
		res.Pages, err = ODT(f, size)
	case MIMEXLSX:
		res.Pages, err = XLSX(f, size)
	case MIMEPPTX:
		res.Pages, err = PPTX(f, size)
	case MIMEODS:
		res.Pages, err = ODS(f, size)
	case MIMEODP:
		res.Pages, err = ODP(f, size)
	case MIMERTF:
		res.Pages, err = RTF(f)
	case MIMEDOC:
		res.Pages, err = DOC(ctx, f, size, path, opts)
	case MIMEXLS:
		res.Pages, err = XLS(ctx, f, size, path, opts)
	case MIMEPPT:
		res.Pages, err = PPT(f, size)
	case MIMEEML:
		res.Pages, res.Message, res.Attachments, err = EML(f, opts.AttachDir)
	case MIMEMSG:
		res.Pages, res.Message, res.Attachments, err = MSG(f, size, opts.AttachDir)
	case MIMEHTML:
		res.Pages, err = HTML(f)
	case MIMEText:
		res.Pages, res.Encoding, err = Text(f)
	case MIMEZip:
		// A damaged archive is kept as a document that failed (ingest);
		// read again, it says so again.
		if _, zerr := zip.NewReader(f, size); zerr != nil {
			err = pipeline.Errorf(pipeline.ECORRUPT, "The ZIP archive is damaged and cannot be opened.")
		} else {
			err = pipeline.Errorf(pipeline.EUNSUPPORTED, "The file is a ZIP archive inside a document slot; upload the archive itself so hoso can unpack it.")
		}
	case MIMEPNG, MIMEJPEG, MIMETIFF:
		err = pipeline.Errorf(pipeline.ENEEDSOCR, "The file is an %s: its text can only be read by OCR.", Describe(mime))
	case "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed":
		err = pipeline.Errorf(pipeline.EUNSUPPORTED, "The file is a %s, which hoso does not unpack: unpack it and upload its files, or pack them in a ZIP archive.", Describe(mime))
	case "image/gif", "image/webp", "image/heic", "image/heif", "image/bmp", "image/x-ms-bmp":
		err = pipeline.Errorf(pipeline.EUNSUPPORTED, "The file is a %s, which hoso cannot read: save it as PNG, JPEG or PDF and upload it again.", Describe(mime))
	default:
		err = pipeline.Errorf(pipeline.EUNSUPPORTED, "hoso cannot read this kind of file (%s). Save it as PDF, DOCX, ODT, XLSX, PPTX, RTF, HTML or plain text and upload it again.", Describe(mime))
	}
	return res, err
}
