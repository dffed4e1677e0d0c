package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"hoso/client"
	"hoso/pipeline"
	"hoso/web"
)

type localFile struct {
	path string // on disk
	rel  string // as uploaded
	size int64
}

func (m *Main) ingest(ctx context.Context, args []string) error {
	fs0 := m.newFlags("ingest")
	server := fs0.fs.String("server", envOr(m.Getenv("HOSO_SERVER"), "http://127.0.0.1:8080"), "URL of the hoso server")
	batch := fs0.fs.String("batch", "", "batch name (default: upload and the date)")
	wait := fs0.fs.Bool("wait", false, "wait until every document has finished and print its state")
	quiet := fs0.fs.Bool("quiet", false, "no progress bar")
	token := fs0.fs.String("token", m.Getenv("HOSO_TOKEN"), "API token of a clerk or supervisor (hoso users token); default $HOSO_TOKEN")
	department := fs0.fs.String("department", "", "department the batch is for (default: the token user's first)")
	paths, err := fs0.parse(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError{"name the files or folders to upload"}
	}
	if *token == "" {
		return usageError{"give an API token with --token or HOSO_TOKEN (an admin prints one with: hoso users token --name NAME)"}
	}
	files, err := collect(paths)
	if err != nil {
		return err
	}
	name := *batch
	if name == "" {
		name = "upload " + time.Now().Format("2006-01-02 15:04:05")
	}
	api := client.New(*server, *token)
	created, err := m.upload(ctx, api, name, *department, files, !*quiet)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Batch %d %q: %d documents accepted, %d files refused\n", created.Batch.ID, created.Batch.Name, len(created.Documents), len(created.Rejected))
	for _, o := range created.Documents {
		dup := ""
		if o.DuplicateOf != nil {
			dup = fmt.Sprintf(" (same file as document %d)", *o.DuplicateOf)
		}
		fmt.Fprintf(m.Stdout, "  accepted  %-8d %s%s\n", o.DocumentID, o.Path, dup)
	}
	for _, o := range created.Rejected {
		fmt.Fprintf(m.Stdout, "  refused   %-8s %s: %s\n", "", o.Path, o.Reason)
	}
	if !*wait {
		return nil
	}
	return m.waitUpload(ctx, api, created.Batch.ID)
}

// upload streams files to the server as one batch, with a progress bar
// on the standard error when bar is set.
func (m *Main) upload(ctx context.Context, api *client.Client, name, department string, files []localFile, bar bool) (*web.BatchCreated, error) {
	var total int64
	for _, f := range files {
		total += f.size
	}
	var pb *progressbar.ProgressBar
	if bar {
		pb = progressbar.NewOptions64(total, progressbar.OptionSetWriter(m.Stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(fmt.Sprintf("Uploading %d files", len(files))), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, name, department, files, pb))
	}()
	created, err := api.Upload(ctx, pr, mw.FormDataContentType())
	pr.Close() // ends the writer if the server stopped reading early
	if err != nil {
		return nil, err
	}
	if pb != nil {
		_ = pb.Finish()
	}
	return created, nil
}

// waitUpload waits until every document of the batch has finished and
// prints its state.
func (m *Main) waitUpload(ctx context.Context, api *client.Client, batchID int64) error {
	st, err := api.WaitBatch(ctx, batchID, 500*time.Millisecond)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Batch %d finished:", batchID)
	for _, s := range pipeline.States {
		if n := st.States[s]; n > 0 {
			fmt.Fprintf(m.Stdout, " %d %s", n, s)
		}
	}
	fmt.Fprintln(m.Stdout)
	for _, d := range st.Documents {
		if d.State == pipeline.StateFailed {
			fmt.Fprintf(m.Stdout, "  failed    %-8d %s: %s\n", d.ID, d.Path, d.Error)
		} else {
			fmt.Fprintf(m.Stdout, "  %-9s %-8d %s (%s)\n", d.State, d.ID, d.Path, pagesText(d.Pages))
		}
	}
	return nil
}

// collect lists the files to upload, naming each by its path relative to
// the parent of the folder given, as the server names them.
func collect(paths []string) ([]localFile, error) {
	var out []localFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, localFile{path: p, rel: filepath.Base(p), size: st.Size()})
			continue
		}
		base := filepath.Dir(filepath.Clean(p))
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(base, fp)
			out = append(out, localFile{path: fp, rel: filepath.ToSlash(rel), size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func writeForm(mw *multipart.Writer, name, department string, files []localFile, bar *progressbar.ProgressBar) error {
	if err := mw.WriteField("name", name); err != nil {
		return err
	}
	if department != "" {
		if err := mw.WriteField("department", department); err != nil {
			return err
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename=%q`, f.rel))
		h.Set("Content-Type", "application/octet-stream")
		part, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		src, err := os.Open(f.path)
		if err != nil {
			return err
		}
		var r io.Reader = src
		if bar != nil {
			r = io.TeeReader(src, bar)
		}
		_, err = io.Copy(part, r)
		src.Close()
		if err != nil {
			return err
		}
	}
	return mw.Close()
}
