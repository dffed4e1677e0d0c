package blob

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"hoso/pipeline"
)

// S3 keeps originals in a bucket of an S3-compatible object store, under
// their SHA-256, so that every machine of an office reads the same ones.
// Local files are only the upload being hashed and the copies handed to
// the extraction sandbox (Path), which a later open cleans up.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	local  string // temporary uploads and the sandbox's copies
}

var _ pipeline.BlobStore = (*S3)(nil)

// S3Config are the settings of an S3 store beside its URL.
type S3Config struct {
	// AccessKey and SecretKey sign the requests; empty: the standard
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then the machine's role.
	AccessKey, SecretKey string
	// Local is a folder for uploads being hashed and copies for the
	// extraction sandbox.
	Local string
}

// OpenS3 opens the store that rawURL names:
// s3://bucket[/prefix]?endpoint=http://host:port&region=name. Without an
// endpoint it is AWS's; the bucket must exist.
func OpenS3(ctx context.Context, rawURL string, cfg S3Config) (*S3, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("blob URL %q is not s3://bucket?endpoint=…&region=…", rawURL)
	}
	q := u.Query()
	endpoint, secure := "s3.amazonaws.com", true
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || eu.Host == "" {
			return nil, fmt.Errorf("blob URL endpoint %q is not http(s)://host:port", e)
		}
		endpoint, secure = eu.Host, eu.Scheme != "http"
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.IAM{}})
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	}
	client, err := minio.New(endpoint, &minio.Options{Creds: creds, Secure: secure, Region: q.Get("region"), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", endpoint, err)
	}
	s := &S3{client: client, bucket: u.Host, prefix: strings.Trim(u.Path, "/"), local: cfg.Local}
	if s.prefix != "" {
		s.prefix += "/"
	}
	if err := os.MkdirAll(filepath.Join(s.local, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create blob folder: %w", err)
	}
	ok, err := client.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("reach bucket %s at %s: %w", s.bucket, endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("bucket %s does not exist at %s", s.bucket, endpoint)
	}
	(&Dir{root: s.local}).removeLeftovers(time.Minute)
	s.removeCopies(time.Hour)
	return s, nil
}

func (s *S3) key(sum string) string { return s.prefix + sum[:2] + "/" + sum }

// Put hashes r's bytes into a local file, then stores them under their
// SHA-256 before the caller writes the row that names them. Bytes already
// there are written again: the object's time is what the sweep's grace
// period counts from, and a new row is about to refer to it.
func (s *S3) Put(ctx context.Context, r io.Reader, limit int64) (pipeline.BlobInfo, error) {
	tmp, info, err := spool(filepath.Join(s.local, "tmp"), r, limit)
	if err != nil {
		return pipeline.BlobInfo{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return pipeline.BlobInfo{}, fmt.Errorf("rewind blob: %w", err)
	}
	if _, err := s.client.PutObject(ctx, s.bucket, s.key(info.SHA256), tmp, info.Size, minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		return pipeline.BlobInfo{}, fmt.Errorf("store blob in bucket %s: %w", s.bucket, err)
	}
	return info, nil
}

// stat returns the object's size, or ENOTFOUND.
func (s *S3) stat(ctx context.Context, sum string) (int64, error) {
	if !validSum(sum) {
		return 0, pipeline.Errorf(pipeline.EINVALID, "Invalid SHA-256 %q.", sum)
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{})
	if err != nil {
		if isMissing(err) {
			return 0, pipeline.Errorf(pipeline.ENOTFOUND, "The original file is missing from the blob store.")
		}
		return 0, fmt.Errorf("stat blob: %w", err)
	}
	return info.Size, nil
}

func isMissing(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == "NotFound"
}

// Open opens the original with the given SHA-256; reads and seeks go to
// the object store.
func (s *S3) Open(ctx context.Context, sum string) (io.ReadSeekCloser, error) {
	if _, err := s.stat(ctx, sum); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return obj, nil
}

// Path copies the original to a local file for the extraction sandbox,
// which reads files, and returns its path. Copies untouched for an hour
// are removed when a store opens.
func (s *S3) Path(ctx context.Context, sum string) (string, error) {
	size, err := s.stat(ctx, sum)
	if err != nil {
		return "", err
	}
	p := filepath.Join(s.local, "copies", sum)
	if fi, err := os.Stat(p); err == nil && fi.Size() == size {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", fmt.Errorf("create blob folder: %w", err)
	}
	tmp := filepath.Join(s.local, "tmp", "put-"+sum)
	if err := s.client.FGetObject(ctx, s.bucket, s.key(sum), tmp, minio.GetObjectOptions{}); err != nil {
		os.Remove(tmp)
		if isMissing(err) {
			return "", pipeline.Errorf(pipeline.ENOTFOUND, "The original file is missing from the blob store.")
		}
		return "", fmt.Errorf("copy blob: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("move blob copy into place: %w", err)
	}
	return p, nil
}

// removeCopies removes the sandbox's copies untouched for idle.
func (s *S3) removeCopies(idle time.Duration) {
	dir := filepath.Join(s.local, "copies")
	entries, _ := os.ReadDir(dir)
	cut := time.Now().Add(-idle)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(cut) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// List calls fn with each original stored before the given time.
func (s *S3) List(ctx context.Context, before time.Time, fn func(sum string) error) error {
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list blobs: %w", obj.Err)
		}
		sum := obj.Key[strings.LastIndex(obj.Key, "/")+1:]
		if !validSum(sum) || !obj.LastModified.Before(before) {
			continue
		}
		if err := fn(sum); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes an original; one already gone is no error.
func (s *S3) Remove(ctx context.Context, sum string) error {
	if !validSum(sum) {
		return pipeline.Errorf(pipeline.EINVALID, "Invalid SHA-256 %q.", sum)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.key(sum), minio.RemoveObjectOptions{})
	if err != nil && !isMissing(err) {
		return fmt.Errorf("remove blob: %w", err)
	}
	return nil
}
