// Package ingest turns uploaded files into documents: each file's bytes go
// to the blob store, folders are walked, ZIP and TAR archives are unpacked
// within limits, and every file ends either as a document (queued for
// extraction) or as a rejection with its name and reason. Nothing is
// dropped silently.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"hoso/extract"
	"hoso/pipeline"
	"hoso/pipeline/blob"
)

// Limits bound an upload. Zero fields take the defaults given.
type Limits struct {
	MaxFileSize  int64 // bytes of one file; default DefaultMaxFileSize
	MaxBatchSize int64 // bytes of one batch; default DefaultMaxBatchSize
	MaxDepth     int   // archives inside archives; default 2
	Archive      extract.ArchiveLimits
}

// The default upload limits: a file, and a batch of files.
const (
	DefaultMaxFileSize  = 200_000_000
	DefaultMaxBatchSize = 2_000_000_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxBatchSize <= 0 {
		l.MaxBatchSize = DefaultMaxBatchSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 2
	}
	return l
}

// Ingester creates batches and documents.
type Ingester struct {
	Store  pipeline.Store
	Blobs  pipeline.BlobStore
	Limits Limits
}

// Outcome is what became of one file.
type Outcome struct {
	Path        string `json:"path"`
	DocumentID  int64  `json:"document_id,omitempty"`
	DuplicateOf *int64 `json:"duplicate_of,omitempty"`
	Code        string `json:"code,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// Accepted reports whether the file became a document.
func (o Outcome) Accepted() bool { return o.DocumentID != 0 }

// Upload adds files to one batch: one upload of a clerk, one hoso process
// or hoso ingest run. (A sign-in is a pipeline.Session.)
type Upload struct {
	in       *Ingester
	limits   Limits
	Batch    *pipeline.Batch
	used     int64
	top      int // the nesting depth of the files added (archives' files are deeper)
	Outcomes []Outcome
	// attached, when set, gathers the documents and rejections instead
	// of writing them to the store (Attach).
	attached *Attached
}

// Begin creates a batch.
func (in *Ingester) Begin(ctx context.Context, name string) (*Upload, error) {
	return in.BeginBatch(ctx, pipeline.BatchCreateParams{Name: name})
}

// BeginBatch starts a batch with its uploader and department.
func (in *Ingester) BeginBatch(ctx context.Context, params pipeline.BatchCreateParams) (*Upload, error) {
	b, err := in.Store.BatchCreate(ctx, params)
	if err != nil {
		return nil, err
	}
	return &Upload{in: in, limits: in.Limits.withDefaults(), Batch: b}, nil
}

// AddPath adds a file, or every file under a folder, naming each by its
// path relative to the folder's parent.
func (s *Upload) AddPath(ctx context.Context, p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if !st.IsDir() {
		return s.addLocalFile(ctx, p, filepath.Base(p))
	}
	base := filepath.Dir(filepath.Clean(p))
	return filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			rel, _ := filepath.Rel(base, fp)
			return s.reject(ctx, filepath.ToSlash(rel), pipeline.Errorf(pipeline.EINVALID, "The file could not be read: %v.", err))
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(base, fp)
		if err != nil {
			return err
		}
		return s.addLocalFile(ctx, fp, filepath.ToSlash(rel))
	})
}

func (s *Upload) addLocalFile(ctx context.Context, fp, rel string) error {
	f, err := os.Open(fp)
	if err != nil {
		return s.reject(ctx, rel, pipeline.Errorf(pipeline.EINVALID, "The file could not be read: %v.", err))
	}
	defer f.Close()
	return s.Add(ctx, rel, f)
}

// Add adds one uploaded file read from r under its relative path. Archives
// are unpacked; their files are named archive.zip/inner/path.
func (s *Upload) Add(ctx context.Context, rel string, r io.Reader) error {
	return s.add(ctx, rel, r, 0)
}

func (s *Upload) add(ctx context.Context, rel string, r io.Reader, depth int) error {
	limit := s.limits.MaxFileSize
	if left := s.limits.MaxBatchSize - s.used; left < limit {
		limit = left
	}
	if limit <= 0 {
		_, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<30))
		return s.reject(ctx, rel, s.overBatchLimit())
	}
	info, err := s.in.Blobs.Put(ctx, r, limit)
	if err != nil {
		if code := pipeline.ErrorCode(err); code != pipeline.EINTERNAL {
			if code == pipeline.ETOOLARGE && limit < s.limits.MaxFileSize {
				err = s.overBatchLimit()
			}
			return s.reject(ctx, rel, err)
		}
		return err
	}
	if depth == s.top {
		s.used += info.Size
	}
	mime, err := s.sniff(ctx, info)
	if err != nil && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
		return err
	}
	if extract.IsArchive(mime) {
		return s.unpack(ctx, rel, info, mime, depth)
	}
	// Programs and formats the office cannot read are refused by their
	// content, whatever their name, with the reason.
	if err == nil && mime != "" {
		if rerr := extract.Refusal(mime); rerr != nil {
			return s.reject(ctx, rel, rerr)
		}
	}
	params := pipeline.DocumentCreateParams{
		BatchID: s.Batch.ID, Filename: path.Base(rel), Path: rel, SHA256: info.SHA256, Size: info.Size, MIME: mime,
	}
	if s.attached != nil {
		s.attached.Documents = append(s.attached.Documents, params)
		return nil
	}
	doc, err := s.in.Store.DocumentCreate(ctx, params)
	if err != nil {
		return err
	}
	s.Outcomes = append(s.Outcomes, Outcome{Path: rel, DocumentID: doc.ID, DuplicateOf: doc.DuplicateOf})
	return nil
}

// overBatchLimit is the refusal of a file the batch has no room left for.
func (s *Upload) overBatchLimit() error {
	if s.attached != nil {
		return pipeline.Errorf(pipeline.ETOOLARGE, "The batch is over its limit of %s with this e-mail's attachments; save the attachment and upload it in another batch.", blob.FormatSize(s.limits.MaxBatchSize))
	}
	return pipeline.Errorf(pipeline.ETOOLARGE, "The batch is over its limit of %s; upload this file in another batch.", blob.FormatSize(s.limits.MaxBatchSize))
}

func (s *Upload) sniff(ctx context.Context, info pipeline.BlobInfo) (string, error) {
	if info.Size == 0 {
		return "", nil
	}
	f, err := s.in.Blobs.Open(ctx, info.SHA256)
	if err != nil {
		return "", err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return "", errors.New("blob is not seekable")
	}
	return extract.Sniff(ra, info.Size)
}

func (s *Upload) unpack(ctx context.Context, rel string, info pipeline.BlobInfo, mime string, depth int) error {
	if depth >= s.limits.MaxDepth {
		if s.attached != nil {
			return s.reject(ctx, rel, pipeline.Errorf(pipeline.EUNSAFE, "Refused: archives and e-mails are nested more than %d deep.", s.limits.MaxDepth))
		}
		return s.reject(ctx, rel, pipeline.Errorf(pipeline.EUNSAFE, "Refused: archives are nested more than %d deep.", s.limits.MaxDepth))
	}
	f, err := s.in.Blobs.Open(ctx, info.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return errors.New("blob is not seekable")
	}
	entries := 0
	err = extract.Unpack(ra, info.Size, mime, s.limits.Archive, func(e extract.ArchiveEntry) error {
		entries++
		if e.Name == "" {
			e.Name = strings.TrimSuffix(strings.TrimSuffix(path.Base(rel), ".gz"), ".GZ")
		}
		name := rel + "/" + e.Name
		if e.Err != nil {
			name = rel + "/" + strings.TrimLeft(strings.ReplaceAll(e.Name, "\\", "/"), "/")
			return s.reject(ctx, name, e.Err)
		}
		err := s.add(ctx, name, e.Body, depth+1)
		if err != nil && pipeline.ErrorCode(err) != pipeline.EINTERNAL {
			return s.reject(ctx, name, err)
		}
		return err
	})
	if err != nil {
		switch {
		case pipeline.ErrorCode(err) == pipeline.EINTERNAL:
			return err
		case pipeline.ErrorCode(err) == pipeline.ECORRUPT && s.attached == nil:
			// A damaged archive is kept, as a damaged document is: a
			// failed document with its reason and its original.
			return s.keepFailed(ctx, rel, info, mime, err)
		}
		return s.reject(ctx, rel, err)
	}
	if entries == 0 {
		return s.reject(ctx, rel, pipeline.Errorf(pipeline.EEMPTY, "The archive holds no files."))
	}
	return nil
}

// keepFailed stores a file as a document that failed at once, with the
// reason: its original stays in the batch, downloadable.
func (s *Upload) keepFailed(ctx context.Context, rel string, info pipeline.BlobInfo, mime string, cause error) error {
	doc, err := s.in.Store.DocumentCreate(ctx, pipeline.DocumentCreateParams{
		BatchID: s.Batch.ID, Filename: path.Base(rel), Path: rel, SHA256: info.SHA256, Size: info.Size, MIME: mime,
	})
	if err != nil {
		return err
	}
	code, reason := pipeline.ErrorCode(cause), pipeline.ErrorMessage(cause)
	if err := s.in.Store.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: doc.ID, Stage: pipeline.StageExtract, Code: code, Reason: reason}); err != nil {
		return err
	}
	s.Outcomes = append(s.Outcomes, Outcome{Path: rel, DocumentID: doc.ID, Code: code, Reason: reason})
	return nil
}

// Reject records a file refused before it was read, with the reason.
func (s *Upload) Reject(ctx context.Context, rel string, cause error) error {
	return s.reject(ctx, rel, cause)
}

func (s *Upload) reject(ctx context.Context, rel string, cause error) error {
	rel = extract.DisplayName(rel)
	r := pipeline.Rejection{BatchID: s.Batch.ID, Path: rel, Code: pipeline.ErrorCode(cause), Reason: pipeline.ErrorMessage(cause)}
	if s.attached != nil {
		s.attached.Rejections = append(s.attached.Rejections, r)
		return nil
	}
	if err := s.in.Store.RejectionCreate(ctx, r); err != nil {
		return err
	}
	s.Outcomes = append(s.Outcomes, Outcome{Path: rel, Code: r.Code, Reason: r.Reason})
	return nil
}

// Attached gathers what became of the files an e-mail carries: the
// documents to create and the files refused, to be stored in one
// transaction with the e-mail's extraction (pipeline.ExtractCompleteParams).
// The caller sets Used and Depth before the first Attach, so that the
// batch limit and the nesting limit hold across the e-mails of a batch
// and the e-mails inside e-mails, not per e-mail.
type Attached struct {
	Documents  []pipeline.DocumentCreateParams
	Rejections []pipeline.Rejection
	// Used is the bytes the batch holds, counted against
	// Limits.MaxBatchSize; each attachment kept adds its size.
	Used int64
	// Depth is the number of containers (e-mails) above the e-mail; its
	// attachments are nested one deeper, against Limits.MaxDepth.
	Depth int
}

// Attach stores one attachment of a document of batch batchID as an
// upload's file is stored: an archive is unpacked within the same limits
// (zip bombs, zip-slip names, nesting), each of its files kept or refused
// with its reason. rel names it (the e-mail's path and the attachment's
// name); an archive's files are rel/inner/path. Nothing is written to
// the store (in.Store may be nil): what the attachment became is added
// to a.
func (in *Ingester) Attach(ctx context.Context, a *Attached, batchID int64, rel string, r io.Reader) error {
	s := &Upload{in: in, limits: in.Limits.withDefaults(), Batch: &pipeline.Batch{ID: batchID}, used: a.Used, top: a.Depth, attached: a}
	err := s.add(ctx, rel, r, a.Depth)
	a.Used = s.used
	return err
}
