package extract

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"hoso/pipeline"
)

// Extractor names of the spreadsheet readers.
const (
	ExtractorXLSX = "xlsx" // excelize
	ExtractorODS  = "ods"
)

// maxSheetText is the most text kept from one workbook: past it the
// workbook is refused rather than read into more memory than a child has.
var maxSheetText = 64 << 20

// XLSX reads an Excel workbook with excelize, streaming each sheet's rows:
// one page per sheet, its name on the first line, rows as lines and cells
// separated by tabs, as the cells' formatted values.
func XLSX(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "Excel workbook (.xlsx)"
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit: 4 << 30, UnzipXMLSizeLimit: 16 << 20, // larger sheets are spilled to temporary files
	})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(err.Error(), "zip") {
			return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its ZIP container cannot be read.", what)
		}
		if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "encrypt") {
			return nil, pipeline.Errorf(pipeline.EENCRYPTED, "The %s is protected by a password; save it without one and upload it again.", what)
		}
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged and cannot be read.", what)
	}
	defer f.Close()
	var pages []PageText
	total := 0
	for _, name := range f.GetSheetList() {
		rows, err := f.Rows(name)
		if err != nil {
			pages = append(pages, PageText{Text: name, Extractor: ExtractorXLSX})
			continue
		}
		var sb strings.Builder
		sb.WriteString(name)
		sb.WriteByte('\n')
		for rows.Next() {
			cells, err := rows.Columns()
			if err != nil {
				break
			}
			line := strings.TrimRight(strings.Join(cells, "\t"), "\t ")
			if strings.TrimSpace(line) == "" {
				continue
			}
			sb.WriteString(line)
			sb.WriteByte('\n')
			if total+sb.Len() > maxSheetText {
				rows.Close()
				return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", what)
			}
		}
		rows.Close()
		total += sb.Len()
		pages = append(pages, PageText{Text: strings.TrimSpace(sb.String()), Extractor: ExtractorXLSX})
	}
	return pages, nil
}

// ODS reads an OpenDocument spreadsheet: one page per table, its name on
// the first line, rows as lines, cells separated by tabs. Repeated empty
// cells and rows (how ODF fills a sheet to its edge) cost nothing.
func ODS(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "OpenDocument spreadsheet"
	rc, err := openZipPart(r, size, "content.xml", what)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var o odsReader
	err = xmlText(rc, what, func(tok xml.Token) {
		if o.tooLarge {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			o.start(t)
		case xml.EndElement:
			o.end(t.Name.Local)
		case xml.CharData:
			if o.inCell {
				o.cell.Write(t)
			}
		}
	})
	if o.tooLarge {
		return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", what)
	}
	if err != nil {
		return nil, err
	}
	return o.pages, nil
}

// odsReader is the state of reading an OpenDocument spreadsheet's
// content: a page per sheet, rows as lines, cells separated by tabs
// (repeated rows and cells written out, up to 1,000 times).
type odsReader struct {
	pages                              []PageText
	sheet, row, cell                   strings.Builder
	inCell                             bool
	paras                              int
	rowRepeat, cellRepeat, pendingTabs int
	total                              int
	tooLarge                           bool
}

func (o *odsReader) start(t xml.StartElement) {
	switch t.Name.Local {
	case "table":
		o.sheet.Reset()
		o.sheet.WriteString(attr(t, "name"))
		o.sheet.WriteByte('\n')
	case "table-row":
		o.row.Reset()
		o.pendingTabs = 0
		o.rowRepeat = repeat(attr(t, "number-rows-repeated"))
	case "table-cell", "covered-table-cell":
		o.inCell, o.paras = true, 0
		o.cell.Reset()
		o.cellRepeat = repeat(attr(t, "number-columns-repeated"))
	case "p", "h":
		if o.inCell && o.paras > 0 {
			o.cell.WriteByte(' ')
		}
		o.paras++
	case "s":
		if o.inCell {
			o.cell.WriteByte(' ')
		}
	case "annotation":
		o.inCell = false // a comment on the cell, not its value
	}
}

func (o *odsReader) end(name string) {
	switch name {
	case "annotation":
		o.inCell = true
	case "table-cell", "covered-table-cell":
		o.inCell = false
		v := strings.TrimSpace(o.cell.String())
		if v == "" {
			o.pendingTabs += o.cellRepeat
			return
		}
		for range min(o.cellRepeat, 1000) {
			if o.row.Len() > 0 || o.pendingTabs > 0 {
				o.row.WriteString(strings.Repeat("\t", min(o.pendingTabs, 1000)+boolInt(o.row.Len() > 0)))
			}
			o.pendingTabs = 0
			o.row.WriteString(v)
		}
	case "table-row":
		if o.row.Len() > 0 {
			for range min(o.rowRepeat, 1000) {
				o.sheet.WriteString(o.row.String())
				o.sheet.WriteByte('\n')
			}
		}
		if o.total+o.sheet.Len() > maxSheetText {
			o.tooLarge = true
		}
	case "table":
		o.total += o.sheet.Len()
		o.pages = append(o.pages, PageText{Text: strings.TrimSpace(o.sheet.String()), Extractor: ExtractorODS})
	}
}

func repeat(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
