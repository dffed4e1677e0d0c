package extract

import (
	"errors"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"

	"hoso/pipeline"
)

// maxOLEStream is the most bytes read from one stream of a compound file:
// its directory may declare any size.
var maxOLEStream int64 = 64 << 20

// oleNames lists the names of a compound file's top-level streams and
// storages.
func oleNames(ra io.ReaderAt) (map[string]bool, error) {
	doc, err := mscfb.New(ra)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := 0; n < 100000; n++ {
		f, err := doc.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return names, err
		}
		if len(f.Path) == 0 {
			names[f.Name] = true
		}
	}
	return names, nil
}

// oleStreams reads the streams of a compound file that want accepts,
// keyed by their path ("storage/stream").
func oleStreams(ra io.ReaderAt, what string, want func(path string) bool) (map[string][]byte, error) {
	doc, err := mscfb.New(ra)
	if err != nil {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its compound-file container cannot be read.", what)
	}
	out := map[string][]byte{}
	var total int64
	for n := 0; n < 100000; n++ {
		f, err := doc.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its compound-file container cannot be read.", what)
		}
		p := strings.Join(append(append([]string(nil), f.Path...), f.Name), "/")
		if f.Size < 0 || !want(p) {
			continue
		}
		if f.Size > maxOLEStream || total+f.Size > 4*maxOLEStream {
			return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", what)
		}
		b := make([]byte, f.Size)
		// A stream cut short is a damaged file: the converters run on it
		// afterwards may loop on what is missing.
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: part of its content cannot be read. Open it in the program that made it and save it again.", what)
		}
		out[p] = b
		total += f.Size
	}
	return out, nil
}
