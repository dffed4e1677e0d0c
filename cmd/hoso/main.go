// Command hoso is the e-government document pipeline: one binary for the
// server, the workers, one-shot processing and maintenance.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the office's time zone, on machines without zoneinfo

	"hoso/extract"
	"hoso/ingest"
	"hoso/pipeline"
	"hoso/pipeline/blob"
)

func main() {
	extract.RunChildIfRequested()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program, with its streams, so that tests can run it whole.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready, when set, receives the address `serve` listens on.
	Ready func(addr string)
}

// NewMain returns a Main on the process's streams and environment.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

type command struct {
	name  string
	usage string
	run   func(m *Main, ctx context.Context, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the API and the workers in one process", (*Main).serve},
		{"worker", "run workers only (PostgreSQL)", (*Main).worker},
		{"process", "ingest files and run the whole pipeline in-process, then print a summary", (*Main).process},
		{"ingest", "upload files to a running server", (*Main).ingest},
		{"search", "search the archive from the terminal", (*Main).search},
		{"reindex", "rebuild the search index from the database, beside the live one", (*Main).reindex},
		{"export", "write every document as JSON Lines", (*Main).export},
		{"migrate", "create or update the database schema", (*Main).migrate},
		{"rules", "check, load, list and try classification rules", (*Main).rules},
		{"reclassify", "run classification again with the rules in force", (*Main).reclassify},
		{"model", "train the learned type model, list its versions", (*Main).model},
		{"doctor", "check the database, the index, the data folder, disk, and the extraction and OCR tools", (*Main).doctor},
		{"volume", "flag days with far more documents of a type than usual", (*Main).volume},
		{"users", "add users, print API tokens, reset passwords", (*Main).users},
		{"departments", "list or add departments", (*Main).departments},
		{"audit", "verify the audit trail's chain, sign a checkpoint of it, or export it as JSON Lines", (*Main).audit},
		{"bench", "measure extraction and end-to-end speed", (*Main).bench},
	}
}

// Run runs the command in args and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		m.usage()
		return 2
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(m, ctx, args[1:])
			if err == nil {
				return 0
			}
			if errors.Is(err, flag.ErrHelp) {
				return 2
			}
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(m.Stderr, "hoso %s: %s\n", c.name, ue.msg)
				return 2
			}
			if code := pipeline.ErrorCode(err); code != pipeline.EINTERNAL {
				fmt.Fprintf(m.Stderr, "hoso %s: %s\n", c.name, pipeline.ErrorMessage(err))
			} else {
				fmt.Fprintf(m.Stderr, "hoso %s: %v\n", c.name, err)
			}
			return 1
		}
	}
	fmt.Fprintf(m.Stderr, "hoso: unknown command %q\n\n", args[0])
	m.usage()
	return 2
}

func (m *Main) usage() {
	fmt.Fprintln(m.Stderr, "Usage: hoso COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(m.Stderr, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(m.Stderr, "\nRun hoso COMMAND -h for a command's flags.")
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// flags are the settings every command that opens the database shares:
// the data folder and database on the command line, the rest from the
// environment. A command that extracts adds the extraction flags
// (extraction), one that takes uploads their limits (uploads), so that
// its -h lists only what it uses.
type flags struct {
	fs     *flag.FlagSet
	cfg    Config
	post   func()
	getenv func(string) string
	// memoryMB, maxFileMB and maxBatchMB hold the settings given in MB
	// until post converts them.
	memoryMB, maxFileMB, maxBatchMB int
}

// extraction adds the flags of the extraction sandbox.
func (f *flags) extraction() *flags {
	f.fs.DurationVar(&f.cfg.Timeout, "timeout", f.cfg.Timeout, "extraction time limit per file")
	f.fs.IntVar(&f.cfg.Children, "children", f.cfg.Children, "extraction processes (default: number of CPUs)")
	f.fs.IntVar(&f.memoryMB, "memory-mb", f.memoryMB, "memory limit of an extraction process, in MB")
	return f
}

// uploads adds the flags of the upload limits.
func (f *flags) uploads() *flags {
	f.fs.IntVar(&f.maxFileMB, "max-file-mb", f.maxFileMB, "largest accepted file, in MB")
	f.fs.IntVar(&f.maxBatchMB, "max-batch-mb", f.maxBatchMB, "largest accepted batch, in MB")
	return f
}

func (m *Main) newFlags(name string) *flags {
	f := &flags{fs: flag.NewFlagSet("hoso "+name, flag.ContinueOnError), getenv: m.Getenv}
	f.fs.SetOutput(m.Stderr)
	f.cfg.Command = strings.ReplaceAll(name, " ", "-")
	env := func(k, def string) string {
		if v := m.Getenv(k); v != "" {
			return v
		}
		return def
	}
	f.fs.StringVar(&f.cfg.DataDir, "data", env("HOSO_DATA", "hoso-data"), "data folder (database, originals)")
	f.fs.StringVar(&f.cfg.DatabaseURL, "database-url", env("HOSO_DATABASE_URL", ""), "PostgreSQL URL; empty means SQLite inside the data folder")
	f.fs.StringVar(&f.cfg.BlobURL, "blob-url", env("HOSO_BLOB_URL", ""), "where originals live: empty for the data folder, or s3://bucket?endpoint=https://host&region=name (keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	f.cfg.BlobKeys = blob.S3Config{AccessKey: m.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: m.Getenv("AWS_SECRET_ACCESS_KEY")}
	f.cfg.Schema = m.Getenv("HOSO_DATABASE_SCHEMA")
	f.cfg.AuditKey = m.Getenv("HOSO_AUDIT_KEY")
	f.cfg.NoModel = m.Getenv("HOSO_MODEL") == "off"
	f.cfg.ModelThreshold = envFloat(m.Getenv("HOSO_MODEL_THRESHOLD"), 0)
	if v := m.Getenv("HOSO_MODEL_RETRAIN_MIN"); v != "" {
		f.cfg.ModelRetrain.MinNew = envInt(v, 0)
		f.cfg.ModelRetrain.Off = f.cfg.ModelRetrain.MinNew <= 0
	}
	f.cfg.Timeout = envDuration(env("HOSO_EXTRACT_TIMEOUT", ""), extract.DefaultTimeout)
	f.cfg.RescueAfter = envDuration(env("HOSO_RESCUE_AFTER", ""), 0)
	f.cfg.OCRChildren = envInt(env("HOSO_OCR_CHILDREN", ""), 0)
	f.cfg.OCRPages = envInt(env("HOSO_OCR_PAGES", ""), 0)
	f.cfg.Tesseract = m.Getenv("HOSO_TESSERACT")
	f.cfg.OCRTimeout = envDuration(env("HOSO_OCR_TIMEOUT", ""), extract.DefaultOCRTimeout)
	f.cfg.Children = envInt(env("HOSO_EXTRACT_CHILDREN", ""), 0)
	f.memoryMB = envInt(env("HOSO_EXTRACT_MEMORY_MB", ""), extract.DefaultMemory>>20)
	f.maxFileMB = envInt(env("HOSO_MAX_FILE_MB", ""), ingest.DefaultMaxFileSize/1_000_000)
	f.maxBatchMB = envInt(env("HOSO_MAX_BATCH_MB", ""), ingest.DefaultMaxBatchSize/1_000_000)
	if tz := m.Getenv("HOSO_TIMEZONE"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			fmt.Fprintf(m.Stderr, "HOSO_TIMEZONE %q is not a time zone (%v); days are counted in Asia/Ho_Chi_Minh\n", tz, err)
		}
		f.cfg.Location = loc
	}
	f.cfg.Memory = -1
	f.post = func() {
		f.cfg.Memory = int64(f.memoryMB) << 20
		f.cfg.MaxFileSize = int64(f.maxFileMB) * 1_000_000
		f.cfg.MaxBatchSize = int64(f.maxBatchMB) * 1_000_000
		level := slog.LevelWarn
		if m.Getenv("HOSO_DEBUG") != "" {
			level = slog.LevelDebug
		}
		f.cfg.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	}
	return f
}

// parse parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func (f *flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		args = f.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if f.post != nil {
		f.post()
	}
	return pos, nil
}

// open parses the flags and opens the runtime; the caller closes it.
func (f *flags) open(ctx context.Context, args []string) (*Runtime, []string, error) {
	pos, err := f.parse(args)
	if err != nil {
		return nil, nil, err
	}
	rt, err := OpenRuntime(ctx, f.cfg)
	return rt, pos, err
}

func envInt(s string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return def
}

func envDuration(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(strings.TrimSpace(s)); err == nil {
		return d
	}
	return def
}
