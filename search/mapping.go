// Package search keeps the archive's full-text index (Bleve, BM25): the
// mapping and analyzers for Vietnamese and English, the indexer that tails
// the change feed, and queries with filters, facets and highlights.
package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/unicodenorm"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/regexp"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
)

// foldName is the token filter that strips diacritics from each token
// (đ becomes d). Bleve's asciifolding is a char filter: run before the
// tokenizer it ignores decomposed text and shifts the offsets highlights
// need; applied to each token, it does neither.
const foldName = "hoso_fold"

type foldFilter struct {
	f *asciifolding.AsciiFoldingFilter
}

func (ff foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		t.Term = ff.f.Filter(t.Term)
	}
	return in
}

func init() {
	registry.RegisterTokenFilter(foldName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{asciifolding.New()}, nil
	})
}

// Field and analyzer names.
const (
	fieldText     = "text"      // NFC, lower case: the exact form ranks first
	fieldFold     = "text_fold" // without diacritics: "Thanh Hoa" finds "Thanh Hóa"; stored for highlights
	fieldIDs      = "ids"       // identifiers and reference numbers, whole
	fieldEnglish  = "text_en"   // English documents only, stemmed: "permits" finds "permit"
	analyzerExact = "hoso_exact"
	analyzerFold  = "hoso_folded"
	analyzerIDs   = "hoso_ids"
)

// idPattern keeps identifiers whole: runs of 6+ digits ("079203001234"),
// and words joined by / - . ("56/2007/NĐ-CP", "QĐ-UBND").
const idPattern = `\d{6,}|[\p{L}\p{N}]+(?:[/.\-][\p{L}\p{N}]+)+`

func newMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	if err := im.AddCustomTokenFilter("hoso_nfc", map[string]any{"type": unicodenorm.Name, "form": unicodenorm.NFC}); err != nil {
		return nil, err
	}
	if err := im.AddCustomTokenizer("hoso_id_tokens", map[string]any{"type": regexp.Name, "regexp": idPattern}); err != nil {
		return nil, err
	}
	for name, a := range map[string]map[string]any{
		analyzerExact: {"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []string{"hoso_nfc", lowercase.Name}},
		analyzerFold:  {"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []string{"hoso_nfc", lowercase.Name, foldName}},
		analyzerIDs:   {"type": custom.Name, "tokenizer": "hoso_id_tokens", "token_filters": []string{"hoso_nfc", lowercase.Name}},
	} {
		if err := im.AddCustomAnalyzer(name, a); err != nil {
			return nil, err
		}
	}
	text := bleve.NewTextFieldMapping()
	text.Analyzer, text.Store, text.IncludeInAll, text.DocValues = analyzerExact, false, false, false
	folded := bleve.NewTextFieldMapping()
	folded.Analyzer, folded.Store, folded.IncludeInAll, folded.DocValues = analyzerFold, true, false, false
	english := bleve.NewTextFieldMapping()
	english.Analyzer, english.Store, english.IncludeInAll, english.DocValues, english.IncludeTermVectors = en.AnalyzerName, false, false, false, false
	ids := bleve.NewTextFieldMapping()
	ids.Analyzer, ids.Store, ids.IncludeTermVectors, ids.IncludeInAll, ids.DocValues = analyzerIDs, false, false, false, false
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer, f.Store, f.IncludeInAll, f.IncludeTermVectors = keyword.Name, store, false, false
		return f
	}
	date := bleve.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll = true, false
	num := bleve.NewNumericFieldMapping()
	num.Store, num.IncludeInAll = true, false

	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldText, text)
	dm.AddFieldMappingsAt(fieldFold, folded)
	dm.AddFieldMappingsAt(fieldIDs, ids)
	dm.AddFieldMappingsAt(fieldEnglish, english)
	for _, f := range []string{"filename", "path", "type", "department", "batch"} {
		dm.AddFieldMappingsAt(f, kw(true))
	}
	for _, f := range []string{"tags", "flags", "state", "mime", "language", "year", "month"} {
		dm.AddFieldMappingsAt(f, kw(false))
	}
	dm.AddFieldMappingsAt("date", date)
	dm.AddFieldMappingsAt("created", date)
	dm.AddFieldMappingsAt("pages", num)
	im.AddDocumentMapping(docType, dm)
	im.DefaultMapping = bleve.NewDocumentDisabledMapping()
	im.DefaultAnalyzer = analyzerFold
	return im, nil
}

const docType = "doc"
