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
	var pages []PageText
	var sheet, row, cell strings.Builder
	inCell, paras := false, 0
	rowRepeat, cellRepeat, pendingTabs := 1, 1, 0
	total := 0
	tooLarge := false
	err = xmlText(rc, what, func(tok xml.Token) {
		if tooLarge {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "table":
				sheet.Reset()
				sheet.WriteString(attr(t, "name"))
				sheet.WriteByte('\n')
			case "table-row":
				row.Reset()
				pendingTabs = 0
				rowRepeat = repeat(attr(t, "number-rows-repeated"))
			case "table-cell", "covered-table-cell":
				inCell, paras = true, 0
				cell.Reset()
				cellRepeat = repeat(attr(t, "number-columns-repeated"))
			case "p", "h":
				if inCell && paras > 0 {
					cell.WriteByte(' ')
				}
				paras++
			case "s":
				if inCell {
					cell.WriteByte(' ')
				}
			case "annotation":
				inCell = false // a comment on the cell, not its value
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "annotation":
				inCell = true
			case "table-cell", "covered-table-cell":
				inCell = false
				v := strings.TrimSpace(cell.String())
				if v == "" {
					pendingTabs += cellRepeat
					break
				}
				for range min(cellRepeat, 1000) {
					if row.Len() > 0 || pendingTabs > 0 {
						row.WriteString(strings.Repeat("\t", min(pendingTabs, 1000)+boolInt(row.Len() > 0)))
					}
					pendingTabs = 0
					row.WriteString(v)
				}
			case "table-row":
				if row.Len() > 0 {
					for range min(rowRepeat, 1000) {
						sheet.WriteString(row.String())
						sheet.WriteByte('\n')
					}
				}
				if total+sheet.Len() > maxSheetText {
					tooLarge = true
				}
			case "table":
				total += sheet.Len()
				pages = append(pages, PageText{Text: strings.TrimSpace(sheet.String()), Extractor: ExtractorODS})
			}
		case xml.CharData:
			if inCell {
				cell.Write(t)
			}
		}
	})
	if tooLarge {
		return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", what)
	}
	if err != nil {
		return nil, err
	}
	return pages, nil
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
