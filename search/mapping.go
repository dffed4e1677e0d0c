// Package search keeps the archive's full-text index: documents analyzed
// for Vietnamese and English (analyze.go), stored in Bleve's scorch
// segments, fed by the indexer that tails the change feed, and searched by
// hoso's own ranking over those segments (engine.go): ranked queries in
// the language officers type, with filters, facets, highlights and the
// words each hit holds or lacks.
package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Field names.
const (
	fieldFold    = "text_fold" // words without diacritics, with positions; the text is stored here
	fieldAux     = "text_aux"  // exact forms of words with diacritics
	fieldEnglish = "text_en"   // English documents only: stemmed words
	fieldIDs     = "ids"       // identifiers and reference numbers, whole
)

// Field numbers in lengths and stats, and of terms in queries.
const (
	lenFold = iota
	lenAux
	lenEnglish
	lenIDs
)

// newMapping describes the index's fields to Bleve. hoso analyzes
// documents itself (analyze.go) and hands Bleve finished documents, so
// the mapping only records what each field is.
func newMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	text := func(store, vectors bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = keyword.Name, store, vectors, false, false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer, f.Store, f.IncludeInAll, f.IncludeTermVectors = keyword.Name, store, false, false
		return f
	}
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldFold, text(true, true))
	dm.AddFieldMappingsAt(fieldAux, text(false, false))
	dm.AddFieldMappingsAt(fieldEnglish, text(false, true))
	dm.AddFieldMappingsAt(fieldIDs, text(false, true))
	for _, f := range []string{"filename", "path", "type", "department", "batch", "day"} {
		dm.AddFieldMappingsAt(f, kw(true))
	}
	for _, f := range []string{"tags", "flags", "state", "mime", "language", "year", "month"} {
		dm.AddFieldMappingsAt(f, kw(false))
	}
	lens := bleve.NewTextFieldMapping()
	lens.Index, lens.Store, lens.IncludeInAll, lens.DocValues = false, true, false, false
	dm.AddFieldMappingsAt("lens", lens)
	im.AddDocumentMapping(docType, dm)
	im.DefaultMapping = dm
	im.DefaultAnalyzer = keyword.Name
	return im, nil
}

const docType = "doc"
