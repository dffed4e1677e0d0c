package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"hoso/pipeline"
)

// Index is the archive's search index, one per node, in the data folder.
type Index struct {
	idx  bleve.Index
	path string
}

// ErrInUse means another process holds the index.
var ErrInUse = pipeline.Errorf(pipeline.ECONFLICT, "The search index is in use by another hoso process (the server); ask it instead: hoso search --server URL, or GET /api/v1/search.")

// Open opens the index at path, creating it if needed. A second process
// fails within two seconds with ErrInUse instead of waiting forever.
func Open(path string) (*Index, error) {
	cfg := map[string]any{"bolt_timeout": "2s"}
	idx, err := bleve.OpenUsing(path, cfg)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		m, merr := newMapping()
		if merr != nil {
			return nil, merr
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, err
		}
		idx, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, cfg)
	}
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("open search index %s: %w", path, err)
	}
	return &Index{idx: idx, path: path}, nil
}

// Close closes the index.
func (ix *Index) Close() error { return ix.idx.Close() }

// Count is the number of documents in the index.
func (ix *Index) Count() (uint64, error) { return ix.idx.DocCount() }

// indexDoc is what the index keeps of a document.
type indexDoc struct {
	Text       string    `json:"text"`
	TextFold   string    `json:"text_fold"`
	IDs        string    `json:"ids"`
	Filename   string    `json:"filename"`
	Path       string    `json:"path"`
	Type       string    `json:"type"`
	Department string    `json:"department"`
	Tags       []string  `json:"tags"`
	State      string    `json:"state"`
	Batch      string    `json:"batch"`
	MIME       string    `json:"mime"`
	Year       string    `json:"year,omitempty"`
	Month      string    `json:"month,omitempty"`
	Date       time.Time `json:"date"`
	Created    time.Time `json:"created"`
	Pages      float64   `json:"pages"`
}

// BleveType names the document mapping (Bleve looks the type up by this
// method, not by a struct field).
func (indexDoc) BleveType() string { return docType }

// newIndexDoc builds the indexed form of a document. Its date is the date
// classification captured, else the upload date.
func newIndexDoc(d *pipeline.Document, pages []pipeline.Page) indexDoc {
	var sb strings.Builder
	for i, p := range pages {
		if i > 0 {
			sb.WriteString("\n\f\n")
		}
		sb.WriteString(p.Text)
	}
	text := sb.String()
	doc := indexDoc{
		Text: text, TextFold: text, IDs: text + "\n" + d.Filename,
		Filename: d.Filename, Path: d.Path, Type: d.Type, Department: d.Department, Tags: d.Tags,
		State: string(d.State), Batch: d.BatchName, MIME: d.MIME, Created: d.CreatedAt, Date: d.CreatedAt, Pages: float64(d.Pages),
	}
	if c := d.Classification; c != nil {
		for _, f := range c.Fields {
			if f.Type == "date" && f.Value != "" {
				if t, err := time.Parse("2006-01-02", f.Value); err == nil {
					doc.Date = t
					break
				}
			}
		}
	}
	doc.Year = strconv.Itoa(doc.Date.Year())
	doc.Month = doc.Date.Format("2006-01")
	return doc
}

func docKey(id int64) string { return strconv.FormatInt(id, 10) }
