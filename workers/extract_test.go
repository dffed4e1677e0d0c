package workers_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"hoso/extract"
	"hoso/ingest"
	"hoso/internal/fixture"
	"hoso/pipeline"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlite/sqlitetest"
	"hoso/workers"
)

func TestMain(m *testing.M) {
	extract.RunChildIfRequested()
	os.Exit(m.Run())
}

// pipelineFor runs the real workers on SQLite with the given sandbox and
// returns an ingester feeding them.
func pipelineFor(t *testing.T, sb *extract.Sandbox) *ingest.Ingester {
	t.Helper()
	st, db, blobs := sqlitetest.Open(t)
	startWorkers(t, db, workers.Config{Store: st, Blobs: blobs, Extractor: sb}, func() { sb.Close() })
	return &ingest.Ingester{Store: st, Blobs: blobs}
}

// startWorkers runs River with the workers on db, every queue, until the
// test ends; then cleanup runs.
func startWorkers(t *testing.T, db *sqlite.DB, cfg workers.Config, cleanup ...func()) {
	t.Helper()
	w := river.NewWorkers()
	workers.Register(w, cfg)
	client, err := db.NewClient(&river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{pipeline.QueueExtract: {MaxWorkers: 1}, pipeline.QueueClassify: {MaxWorkers: 2}, pipeline.QueueDetect: {MaxWorkers: 2}, pipeline.QueueDefault: {MaxWorkers: 2}},
		Workers:           w,
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.StopAndCancel(stop)
		for _, f := range cleanup {
			f()
		}
	})
}

func waitDocument(t *testing.T, st pipeline.Store, id int64) *pipeline.Document {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		d, err := st.DocumentGetByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.State.Terminal() {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("document %d did not finish within 60s", id)
	return nil
}

func add(t *testing.T, in *ingest.Ingester, name, body string) int64 {
	t.Helper()
	s, err := in.Begin(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(context.Background(), name, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	return s.Outcomes[0].DocumentID
}

// TestQuarantine: a file on which the extraction child dies every time is
// retried once, then set aside with the reason, not retried forever.
func TestQuarantine(t *testing.T) {
	sb, err := extract.NewSandbox(extract.SandboxConfig{
		Command: []string{"/bin/sh", "-c", `read line; echo "fatal error: stack overflow" >&2; kill -SEGV $$`},
		Timeout: 5 * time.Second, Children: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	in := pipelineFor(t, sb)
	d := waitDocument(t, in.Store, add(t, in, "bad.pdf", "%PDF-1.4 whatever"))
	if d.State != pipeline.StateFailed || d.ErrorCode != pipeline.EQUARANTINED || d.Crashes != 2 || d.Stage != pipeline.StageExtract {
		t.Fatalf("document after repeated crashes: %+v", d)
	}
	if !strings.Contains(d.Error, "damaged") || !strings.Contains(d.Error, "after 2 attempts") {
		t.Errorf("reason %q", d.Error)
	}
}

// TestTimeoutThenSetAside: a file whose extraction hangs is stopped at the
// time limit and, after a second try, failed with a timeout reason.
func TestTimeout(t *testing.T) {
	sb, err := extract.NewSandbox(extract.SandboxConfig{
		Command: []string{"/bin/sh", "-c", `read line; exec sleep 60`}, Timeout: 200 * time.Millisecond, Children: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	in := pipelineFor(t, sb)
	d := waitDocument(t, in.Store, add(t, in, "slow.pdf", "%PDF-1.4 whatever"))
	if d.State != pipeline.StateFailed || d.ErrorCode != pipeline.ETIMEOUT || !strings.Contains(d.Error, "took longer than 200ms") {
		t.Fatalf("document after timeouts: %+v", d)
	}
}

// TestStages runs a real file through every stage with the real child.
func TestStages(t *testing.T) {
	sb, err := extract.NewSandbox(extract.SandboxConfig{Timeout: 30 * time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := pipelineFor(t, sb)
	d := waitDocument(t, in.Store, add(t, in, "don.txt", "ĐƠN ĐỀ NGHỊ\nCấp bản sao từ sổ gốc\fKính gửi: Ủy ban nhân dân phường"))
	if d.State != pipeline.StateChecked || d.Pages != 2 || d.MIME != "text/plain" || d.Extractor != "text" || d.Quality < 0.9 {
		t.Fatalf("document: %+v", d)
	}
	if d.Language != "vi" {
		t.Errorf("language %q", d.Language)
	}
	if d.Type != "application" || d.Department != "one-stop" || d.Classification == nil || d.Classification.Rule != "application" ||
		d.Classification.Explanation.Matches[0].Text != "ĐƠN ĐỀ NGHỊ" {
		t.Errorf("classification: type %q, department %q, %+v", d.Type, d.Department, d.Classification)
	}
	empty := waitDocument(t, in.Store, add(t, in, "empty.txt", ""))
	if empty.State != pipeline.StateFailed || empty.ErrorCode != pipeline.EEMPTY || empty.Error != "The file is empty." {
		t.Errorf("empty file: %+v", empty)
	}
}

// TestEmailAttachments: an e-mail's header fields are stored, and its
// attachments become documents of its batch, linked to it, that go
// through every stage themselves (a forwarded message in it too).
func TestEmailAttachments(t *testing.T) {
	sb, err := extract.NewSandbox(extract.SandboxConfig{Timeout: 30 * time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := pipelineFor(t, sb)
	const eml = "From: An <an@example.vn>\r\nTo: tuphap@example.vn\r\nDate: Tue, 5 Mar 2024 09:30:00 +0700\r\nSubject: Don de nghi\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nKinh gui phong Tu phap, xin gui don kem theo.\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=\"don.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"xJDGoE4gxJDhu4AgTkdI4buKCkPhuqVwIGLhuqNuIHNhbyB04burIHPhu5UgZ+G7kWM=\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.vn\r\nSubject: Chuyen tiep\r\n\r\nNoi dung thu chuyen tiep\r\n--b--\r\n"
	id := add(t, in, "thu.eml", eml)
	mail := waitDocument(t, in.Store, id)
	if mail.State != pipeline.StateChecked || mail.MIME != extract.MIMEEML || mail.Message == nil ||
		mail.Message.Subject != "Don de nghi" || mail.Message.From != "An <an@example.vn>" || mail.Message.Date.IsZero() {
		t.Fatalf("e-mail: %+v, message %+v", mail, mail.Message)
	}
	docs, err := in.Store.DocumentListByBatch(context.Background(), mail.BatchID)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range docs[1:] {
		d = waitDocument(t, in.Store, d.ID)
		paths = append(paths, d.Path)
		if d.ParentID == nil || *d.ParentID != id || d.State != pipeline.StateChecked {
			t.Errorf("%s: parent %v, state %s (%s)", d.Path, d.ParentID, d.State, d.Error)
		}
		if d.Filename == "don.txt" && d.Type != "application" {
			t.Errorf("attachment don.txt: type %q, want it classified like any upload", d.Type)
		}
	}
	if want := []string{"thu.eml/don.txt", "thu.eml/message.eml"}; !slices.Equal(paths, want) {
		t.Errorf("attachments %q, want %q", paths, want)
	}
}

// TestEmailNesting: an e-mail inside an e-mail nests its attachments one
// deeper, so the archive limit counts across e-mails: an archive carried
// by an e-mail three deep is refused with the reason, while the e-mails
// themselves become documents linked to the one that carried them.
func TestEmailNesting(t *testing.T) {
	sb, err := extract.NewSandbox(extract.SandboxConfig{Timeout: 30 * time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := pipelineFor(t, sb)
	zip := base64.StdEncoding.EncodeToString(fixture.Zip("don.txt", "Đơn đề nghị"))
	inner := "From: c@example.vn\r\nSubject: C\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nthu C\r\n" +
		"--c\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"ho-so.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + zip + "\r\n--c--\r\n"
	wrap := func(subject, boundary, body string) string {
		return "From: " + subject + "@example.vn\r\nSubject: " + subject + "\r\nContent-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n--" + boundary +
			"\r\nContent-Type: text/plain\r\n\r\nthu " + subject + "\r\n--" + boundary + "\r\nContent-Type: message/rfc822\r\n\r\n" + body + "\r\n--" + boundary + "--\r\n"
	}
	id := add(t, in, "a.eml", wrap("A", "a", wrap("B", "b", inner)))
	ctx := context.Background()
	var docs []*pipeline.Document
	deadline := time.Now().Add(60 * time.Second)
	for len(docs) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if docs, err = in.Store.DocumentListByBatch(ctx, waitDocument(t, in.Store, id).BatchID); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for i, d := range docs {
		d = waitDocument(t, in.Store, d.ID)
		got = append(got, d.Path)
		if i > 0 && (d.ParentID == nil || *d.ParentID != docs[i-1].ID) {
			t.Errorf("%s: parent %v, want %d", d.Path, d.ParentID, docs[i-1].ID)
		}
	}
	if want := []string{"a.eml", "a.eml/message.eml", "a.eml/message.eml/message.eml"}; !slices.Equal(got, want) {
		t.Fatalf("documents %q, want %q", got, want)
	}
	rejs, err := in.Store.RejectionListByBatch(ctx, docs[0].BatchID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejs) != 1 || rejs[0].Path != "a.eml/message.eml/message.eml/ho-so.zip" || !strings.Contains(rejs[0].Reason, "nested more than 2 deep") {
		t.Errorf("refused: %+v, want the archive of the third e-mail refused for its depth", rejs)
	}
}
