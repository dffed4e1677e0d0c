package blob_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hoso/pipeline/blob"
	"hoso/pipeline/blob/blobtest"
)

func TestConformanceDir(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		d, err := blob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func TestConformanceS3(t *testing.T) {
	srv := blobtest.StartS3(t)
	n := 0
	blobtest.Run(t, func(t *testing.T) blob.Store {
		n++
		cfg := srv.Config()
		cfg.Local = t.TempDir()
		u := strings.Replace(srv.URL, "s3://hoso", fmt.Sprintf("s3://hoso/run%d", n), 1)
		s, err := blob.OpenS3(context.Background(), u, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
