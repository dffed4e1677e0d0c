package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"hoso/pipeline"
)

// Index is the archive's search index, one per node, in the data
// folder. The folder holds generations (gen-1, gen-2, ...) and a file
// CURRENT naming the live one, so that Reindex can build a new generation
// beside the live one and swap it in while searches go on.
type Index struct {
	dir string

	mu  sync.RWMutex // guards idx and gen
	idx bleve.Index
	gen int

	// writeMu serializes writers: the indexer's batches and Reindex's swap.
	writeMu sync.Mutex
}

// ErrInUse means another process holds the index.
var ErrInUse = pipeline.Errorf(pipeline.ECONFLICT, "The search index is in use by another hoso process (the server); ask it instead: hoso search --server URL, or GET /api/v1/search.")

// boltConfig is the runtime configuration of an index. A fresh map each
// time: scorch writes its own keys (the path) into the one it is given.
func boltConfig() map[string]any { return map[string]any{"bolt_timeout": "2s"} }

// Open opens the index in dir, creating it if needed. A second process
// fails within two seconds with ErrInUse instead of waiting forever.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create index folder: %w", err)
	}
	gen := 1
	if b, err := os.ReadFile(filepath.Join(dir, "CURRENT")); err == nil {
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(string(b)), "gen-")); err == nil && n > 0 {
			gen = n
		}
	}
	idx, err := openGeneration(dir, gen)
	if err != nil {
		return nil, err
	}
	if err := writeCurrent(dir, gen); err != nil {
		idx.Close()
		return nil, err
	}
	return &Index{dir: dir, idx: idx, gen: gen}, nil
}

func genPath(dir string, gen int) string { return filepath.Join(dir, fmt.Sprintf("gen-%d", gen)) }

func openGeneration(dir string, gen int) (bleve.Index, error) {
	path := genPath(dir, gen)
	idx, err := bleve.OpenUsing(path, boltConfig())
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		m, merr := newMapping()
		if merr != nil {
			return nil, merr
		}
		idx, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, boltConfig())
	}
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("open search index %s: %w", path, err)
	}
	return idx, nil
}

// writeCurrent records the live generation, atomically.
func writeCurrent(dir string, gen int) error {
	tmp := filepath.Join(dir, "CURRENT.tmp")
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("gen-%d\n", gen)), 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "CURRENT"))
}

// live returns the live Bleve index.
func (ix *Index) live() bleve.Index {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.idx
}

// Generation is the number of the live generation.
func (ix *Index) Generation() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.gen
}

// Close closes the index.
func (ix *Index) Close() error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	return ix.live().Close()
}

// Count is the number of documents in the index.
func (ix *Index) Count() (uint64, error) { return ix.live().DocCount() }

// indexDoc is what the index keeps of a document.
type indexDoc struct {
	Text       string    `json:"text"`
	TextFold   string    `json:"text_fold"`
	IDs        string    `json:"ids"`
	English    string    `json:"text_en,omitempty"`
	Language   string    `json:"language"`
	Filename   string    `json:"filename"`
	Path       string    `json:"path"`
	Type       string    `json:"type"`
	Department string    `json:"department"`
	Tags       []string  `json:"tags"`
	Flags      []string  `json:"flags"`
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
	doc.Language = d.Language
	if doc.Language == "en" {
		doc.English = text
	}
	doc.Year = strconv.Itoa(doc.Date.Year())
	doc.Month = doc.Date.Format("2006-01")
	return doc
}

func docKey(id int64) string { return strconv.FormatInt(id, 10) }

// addIdentifiers makes the normalized identifiers searchable too: a phone
// written "0912.345.678" is found as 0912345678 and +84912345678.
func (doc *indexDoc) addIdentifiers(ids []pipeline.Identifier) {
	var sb strings.Builder
	for _, id := range ids {
		sb.WriteString("\n")
		sb.WriteString(id.Value)
		if id.Kind == "phone" && strings.HasPrefix(id.Value, "+84") {
			sb.WriteString(" 0" + id.Value[3:])
		}
	}
	doc.IDs += sb.String()
}
