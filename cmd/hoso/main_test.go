package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/extract"
	"hoso/internal/fixture"
	"hoso/pipeline/postgres"
)

func TestMain(m *testing.M) {
	startAllocs = heapAllocs()
	extract.RunChildIfRequested()
	// The crash-safety test runs this binary as the hoso command.
	if os.Getenv("HOSO_TEST_MAIN") == "1" {
		ctx, stop := context.WithCancel(context.Background())
		code := NewMain().Run(ctx, os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// backend is a database for a test: SQLite in a temporary data folder, or
// a fresh schema of the PostgreSQL test database.
type backend struct {
	name string
	env  map[string]string
}

func (b backend) getenv(k string) string { return b.env[k] }

func (b backend) environ() []string {
	var out []string
	for k, v := range b.env {
		out = append(out, k+"="+v)
	}
	return out
}

// backends returns SQLite and, when HOSO_TEST_DATABASE_URL is set,
// PostgreSQL. Each has its own data folder (and schema).
func backends(t *testing.T) []backend {
	t.Helper()
	out := []backend{{name: "sqlite", env: map[string]string{"HOSO_DATA": t.TempDir()}}}
	if u := os.Getenv("HOSO_TEST_DATABASE_URL"); u != "" {
		schema := fmt.Sprintf("hoso_cmd_%d", time.Now().UnixNano())
		t.Cleanup(func() {
			if err := postgres.DropSchema(context.Background(), u, schema); err != nil {
				t.Errorf("drop schema: %v", err)
			}
		})
		out = append(out, backend{name: "postgres", env: map[string]string{"HOSO_DATA": t.TempDir(), "HOSO_DATABASE_URL": u, "HOSO_DATABASE_SCHEMA": schema}})
	} else {
		t.Log("HOSO_TEST_DATABASE_URL is not set: PostgreSQL is skipped (.ci/run sets it)")
	}
	return out
}

// run runs hoso in-process and returns its output and exit code.
func run(t *testing.T, b backend, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: b.getenv}
	code = m.Run(t.Context(), args)
	return out.String(), errb.String(), code
}

// inCorpus returns the path of a folder or file of the shared corpus and
// whether it is there: the corpus adds to a test what the repository's
// own fixtures cover in small.
func inCorpus(parts ...string) (string, bool) {
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "corpus"}, parts...)...)
	_, err := os.Stat(p)
	return p, err == nil
}

// builtPDFs is how many small PDFs builtFiles writes.
const builtPDFs = 24

// builtFiles writes the files the tests make themselves into a folder
// named "built": builtPDFs small PDFs of two pages under letters/ and the
// hostile files of fixture.Hostile (a looping PDF, a truncated one,
// zip-slip archives, a ZIP bomb) under hostile/.
func builtFiles(t *testing.T) string {
	t.Helper()
	files := map[string][]byte{}
	for name, b := range fixture.Hostile() {
		files["hostile/"+name] = b
	}
	for i := range builtPDFs {
		files[fmt.Sprintf("letters/letter-%02d.pdf", i+1)] = fixture.PDF(
			fmt.Sprintf("CONG VAN so %d/UBND-VP\nVe viec tra loi don cua cong dan", 100+i),
			fmt.Sprintf("Noi nhan: Phong %d; luu VT.", i+1))
	}
	dir, err := fixture.Write(filepath.Join(t.TempDir(), "built"), files)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func lastJSON(t *testing.T, stdout string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("last line of stdout is not JSON: %v\n%s", err, stdout)
	}
}

func exportRows(t *testing.T, b backend, args ...string) []map[string]any {
	t.Helper()
	out, errs, code := run(t, b, append([]string{"export"}, args...)...)
	if code != 0 {
		t.Fatalf("export exit %d: %s", code, errs)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("export line is not JSON: %v", err)
		}
		rows = append(rows, row)
	}
	return rows
}
