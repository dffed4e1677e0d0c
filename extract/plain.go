package extract

import (
	"fmt"
	"io"

	"hoso/pipeline"
)

// maxTextSize is the most bytes read from a plain-text or HTML file.
const maxTextSize = 256 << 20

func readAllLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is larger than %d MB of text; split it into smaller files.", what, limit>>20)
	}
	return b, nil
}

// Text reads a plain-text file; form feeds separate pages.
func Text(r io.Reader) ([]PageText, string, error) {
	b, err := readAllLimited(r, maxTextSize, "text file")
	if err != nil {
		return nil, "", err
	}
	s, enc := DecodeText(b)
	return splitFormFeeds(s, ExtractorText), enc, nil
}
