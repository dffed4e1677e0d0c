package extract

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hoso/pipeline"
)

// childEnv marks a process started as an extraction child.
const childEnv = "HOSO_EXTRACT_CHILD"

// SandboxConfig configures a Sandbox. Zero fields take the defaults given.
type SandboxConfig struct {
	// Command starts a child; its process must call RunChildIfRequested
	// first thing. Default: this executable, with no arguments.
	Command []string
	// Children is the most children running at once. Default 2.
	Children int
	// Timeout is the wall-clock limit for one file. Default DefaultTimeout.
	Timeout time.Duration
	// CPUTime is the CPU-time limit for one file. Default: Timeout.
	CPUTime time.Duration
	// Memory is the child's resident-memory limit in bytes; its address
	// space, which the converters it runs inherit, is capped 2 GiB above.
	// Default DefaultMemory.
	Memory int64
	// Budget, when set, is a CPU budget shared with other sandboxes: a
	// token is held while a file is read, so that extraction and OCR
	// children together keep to the cores (OCR takes them all when
	// extraction is idle).
	Budget chan struct{}
	// FilesPerChild is how many files a child reads before it is replaced,
	// to bound what a leak can cost. Default 200.
	FilesPerChild int
	// MaxPages is the most pages read from one document. Default 5000.
	MaxPages int
	// PDFToText is the path of poppler's pdftotext, used as a fallback for
	// PDFs the built-in reader handles badly; "" disables it.
	PDFToText string
}

// DefaultMemory is the default resident-memory limit of an extraction
// child: a file that needs more fails as too large to read within the
// memory limit.
const DefaultMemory = 1 << 30

// DefaultTimeout is the default wall-clock limit of reading one file,
// in a sandbox child or by a converter program.
const DefaultTimeout = 2 * time.Minute

// DefaultOCRTimeout is the default wall-clock limit of reading one scan
// by OCR: a long scanned document takes minutes.
const DefaultOCRTimeout = 10 * time.Minute

// CrashError is returned when the child died, was killed or ran out of a
// limit on a file: the file may be hostile, or the machine was short of
// memory; the caller retries a few times, then quarantines the document.
type CrashError struct {
	Code    string // ETIMEOUT, ELIMIT (CPU or memory) or ECORRUPT
	Message string // for the clerk
	Detail  string // the child's last words, for the log
	memory  bool   // the child ran out of memory
}

func (e *CrashError) Error() string {
	return fmt.Sprintf("extraction sandbox: %s (%s)", e.Message, e.Detail)
}

// Sandbox runs extraction in child processes, reusing each child for many
// files until it dies or reaches FilesPerChild.
type Sandbox struct {
	cfg  SandboxConfig
	sem  chan struct{}
	mu   sync.Mutex
	idle []*child

	recording bool
	busy      []Interval
	peak      atomic.Int64 // the largest memory a child reported, bytes
}

// Interval is a span of time a child spent on one file.
type Interval struct {
	Start, End time.Time
}

// Record starts keeping the span of every extraction, for benchmarks that
// account for the time the children stand idle.
func (s *Sandbox) Record() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recording, s.busy = true, nil
}

// Recorded returns the spans kept since Record, in start order.
func (s *Sandbox) Recorded() []Interval {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Interval(nil), s.busy...)
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// NewSandbox returns a Sandbox; children start on first use.
func NewSandbox(cfg SandboxConfig) (*Sandbox, error) {
	if len(cfg.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find executable for the extraction sandbox: %w", err)
		}
		cfg.Command = []string{exe}
	}
	if cfg.Children <= 0 {
		cfg.Children = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.CPUTime <= 0 {
		cfg.CPUTime = cfg.Timeout
	}
	if cfg.Memory <= 0 {
		cfg.Memory = DefaultMemory
	}
	if cfg.FilesPerChild <= 0 {
		cfg.FilesPerChild = 200
	}
	return &Sandbox{cfg: cfg, sem: make(chan struct{}, cfg.Children)}, nil
}

// Config returns the sandbox's configuration with defaults filled in.
func (s *Sandbox) Config() SandboxConfig { return s.cfg }

// Timeout is the wall-clock limit for one file.
func (s *Sandbox) Timeout() time.Duration { return s.cfg.Timeout }

// Close stops idle children.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.idle {
		c.stop()
	}
	s.idle = nil
	return nil
}

type request struct {
	// OCR, when set, reads scans too (FileOCR).
	OCR        *OCROptions `json:"ocr,omitempty"`
	Path       string      `json:"path"`
	TimeoutMS  int64       `json:"timeout_ms"`
	CPUSeconds int64       `json:"cpu_seconds"`
	MaxPages   int         `json:"max_pages"`
	PDFToText  string      `json:"pdftotext"`
	AttachDir  string      `json:"attach_dir,omitempty"`
}

type response struct {
	// Progress, in a line of its own before the response, reports the
	// pages an OCR request has read so far.
	Progress *Progress `json:"progress,omitempty"`
	Result   *Result   `json:"result"`
	Code     string    `json:"code,omitempty"`
	Message  string    `json:"message,omitempty"`
	// Retire says the child holds so much address space after this file
	// (Go never gives its heap's address space back) that the next file
	// could run out of its limit: it exits, and the parent starts a new
	// one.
	Retire bool `json:"retire,omitempty"`
	// PeakRSS is the most memory the child, or a program it ran, has
	// held so far, in bytes.
	PeakRSS int64 `json:"peak_rss,omitempty"`
}

// Extract extracts the file at path in a child. A domain error (a
// *pipeline.Error) means the file cannot be read and never will be; a
// *CrashError means the child died on it.
func (s *Sandbox) Extract(ctx context.Context, path string) (*Result, error) {
	return s.extract(ctx, path, nil, "")
}

// ExtractInto is Extract for files that may carry others (e-mails): the
// child saves their attachments under dir, listed in Result.Attachments.
func (s *Sandbox) ExtractInto(ctx context.Context, path, dir string) (*Result, error) {
	return s.extract(ctx, path, nil, dir)
}

// ExtractOCR extracts the file at path in a child, reading scans by OCR
// (see FileOCR). An error wrapping ErrOCRMissing says what to install.
func (s *Sandbox) ExtractOCR(ctx context.Context, path string, ocr OCROptions) (*Result, error) {
	return s.extract(ctx, path, &ocr, "")
}

func (s *Sandbox) extract(ctx context.Context, path string, ocr *OCROptions, attachDir string) (*Result, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.sem }()
	if s.cfg.Budget != nil {
		select {
		case s.cfg.Budget <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-s.cfg.Budget }()
	}
	if s.recording {
		start := time.Now()
		defer func() {
			s.mu.Lock()
			s.busy = append(s.busy, Interval{start, time.Now()})
			s.mu.Unlock()
		}()
	}

	c, err := s.get()
	if err != nil {
		return nil, err
	}
	req := request{Path: path, TimeoutMS: s.cfg.Timeout.Milliseconds(), CPUSeconds: int64(s.cfg.CPUTime.Seconds() + 0.999),
		MaxPages: s.cfg.MaxPages, PDFToText: s.cfg.PDFToText, OCR: ocr, AttachDir: attachDir}
	var progress func(done, total int)
	if ocr != nil {
		progress = ocr.Progress
	}
	resp, err := c.do(ctx, req, s.cfg.Timeout, progress)
	if err != nil {
		c.stop()
		var ce *CrashError
		if errors.As(err, &ce) && ce.Code == pipeline.ETIMEOUT {
			ce.Message = fmt.Sprintf("Extraction took longer than %s; the file is probably damaged or far too complex.", limitText(s.cfg.Timeout))
		}
		if errors.As(err, &ce) && ce.memory {
			ce.Message = fmt.Sprintf("The file is too large to read within the memory limit of %d MB.", s.cfg.Memory>>20)
		}
		return nil, err
	}
	for peak := s.peak.Load(); resp.PeakRSS > peak && !s.peak.CompareAndSwap(peak, resp.PeakRSS); peak = s.peak.Load() {
	}
	c.files++
	if c.files >= s.cfg.FilesPerChild || resp.Retire {
		c.stop()
	} else {
		s.put(c)
	}
	if resp.Code == pipeline.EOCRMISSING {
		return resp.Result, fmt.Errorf("%w: %s", ErrOCRMissing, resp.Message)
	}
	if resp.Code != "" {
		return resp.Result, &pipeline.Error{Code: resp.Code, Message: resp.Message}
	}
	if resp.Result == nil {
		return nil, errors.New("extraction sandbox: empty response")
	}
	return resp.Result, nil
}

// Warm starts the children ahead of the first file, so that the first
// documents do not wait for processes to start.
func (s *Sandbox) Warm() error {
	var started []*child
	for len(started) < s.cfg.Children {
		c, err := s.start()
		if err != nil {
			break
		}
		started = append(started, c)
	}
	for _, c := range started {
		s.put(c)
	}
	return nil
}

func (s *Sandbox) get() (*child, error) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		c := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	return s.start()
}

func (s *Sandbox) put(c *child) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idle = append(s.idle, c)
}

// child is one extraction process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *tailBuffer
	exited chan struct{}
	files  int
}

func (s *Sandbox) start() (*child, error) {
	cmd := exec.Command(s.cfg.Command[0], s.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"=1", "HOSO_EXTRACT_MEMORY="+strconv.FormatInt(s.cfg.Memory, 10))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	tail := &tailBuffer{max: 4096}
	cmd.Stderr = tail
	// Its own group, so that a stop kills what it started too; and it
	// dies with this process, even one killed with SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start extraction child: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<16), stderr: tail, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) stop() {
	_ = c.stdin.Close()
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.exited
}

// do sends the child a request and waits for its response, passing on
// the progress it reports on the way.
func (c *child) do(ctx context.Context, req request, timeout time.Duration, progress func(done, total int)) (*response, error) {
	line, _ := json.Marshal(req)
	if _, err := c.stdin.Write(append(line, '\n')); err != nil {
		return nil, c.crash()
	}
	type read struct {
		resp *response
		err  error
	}
	lines := make(chan read)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			b, err := c.stdout.ReadBytes('\n')
			var r read
			if err != nil {
				r.err = c.crash()
			} else {
				r.resp = &response{}
				if err := json.Unmarshal(b, r.resp); err != nil {
					r.err = fmt.Errorf("extraction sandbox: bad response: %w", err)
				}
			}
			select {
			case lines <- r:
			case <-quit:
				return
			}
			if r.err != nil || r.resp.Progress == nil {
				return
			}
		}
	}()
	timer := time.NewTimer(timeout + 2*time.Second) // the child stops itself at timeout; this is the backstop
	defer timer.Stop()
	for {
		select {
		case r := <-lines:
			if r.err != nil {
				return nil, r.err
			}
			if p := r.resp.Progress; p != nil {
				if progress != nil {
					progress(p.Done, p.Total)
				}
				continue
			}
			return r.resp, nil
		case <-timer.C:
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
			return nil, &CrashError{Code: pipeline.ETIMEOUT, Detail: "killed after " + timeout.String()}
		case <-ctx.Done():
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
			return nil, ctx.Err()
		}
	}
}

// Progress is how many of the pages an OCR request reads are done.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// crash waits for the dead child and says why it died.
func (c *child) crash() error {
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
	}
	tail := c.stderr.String()
	state := c.cmd.ProcessState
	detail := strings.TrimSpace(lastLines(tail, 3))
	if state != nil {
		detail = state.String() + ": " + detail
	}
	switch {
	case strings.Contains(tail, "cpu time limit"):
		return &CrashError{Code: pipeline.ELIMIT, Message: "Extraction used more CPU time than allowed; the file is probably damaged or far too complex.", Detail: detail}
	case strings.Contains(tail, "out of memory") || strings.Contains(tail, "cannot allocate memory") || strings.Contains(tail, "memory limit"):
		return &CrashError{Code: pipeline.ELIMIT, Message: "The file is too large to read within the memory limit.", Detail: detail, memory: true}
	case strings.Contains(tail, "stack overflow") || strings.Contains(tail, "stack exceeds"):
		return &CrashError{Code: pipeline.ECORRUPT, Message: "The file is damaged: its structure loops back on itself and cannot be read.", Detail: detail}
	}
	return &CrashError{Code: pipeline.ECORRUPT, Message: "The extractor crashed on this file; it is probably damaged.", Detail: detail}
}

// limitText writes a time limit as a clerk reads it ("2 minutes", "90
// seconds"), in words the message catalog translates; Go's "2m0s" is for
// logs.
func limitText(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d > time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d == time.Second:
		return "1 second"
	case d > time.Second:
		return fmt.Sprintf("%d seconds", (d+time.Second-1)/time.Second)
	}
	return d.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// tailBuffer keeps the last max bytes written to it, and the first
// "fatal error" line, which explains a Go runtime crash.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	fatal string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fatal == "" {
		if i := strings.Index(string(p), "fatal error:"); i >= 0 {
			line, _, _ := strings.Cut(string(p[i:]), "\n")
			t.fatal = line
		}
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fatal + "\n" + string(t.buf)
}

// RunChildIfRequested turns this process into an extraction child when it
// was started as one, and never returns then. Call it first thing in main
// and in TestMain of packages whose tests start a Sandbox.
func RunChildIfRequested() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	os.Exit(serveChild(os.Stdin, os.Stdout))
}

func serveChild(in io.Reader, out io.Writer) int {
	limit, _ := strconv.ParseInt(os.Getenv("HOSO_EXTRACT_MEMORY"), 10, 64)
	childLimits(limit)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "hoso: bad request:", err)
			return 2
		}
		resp := serveRequest(req, enc)
		if limit > 0 {
			resp.Retire = residentMemory() > limit/2
		}
		resp.PeakRSS = peakMemory()
		if err := enc.Encode(resp); err != nil {
			return 2
		}
		if resp.Retire {
			return 0
		}
	}
	return 0
}

// childLimits sets the child's own bounds: resident memory (bytes, 0 for
// none), stack, and an exit with a message when the CPU-time limit a
// request sets is reached.
func childLimits(limit int64) {
	if limit > 0 {
		// The limit is on resident memory: Go reserves far more address
		// space than it uses (1.7 GB for a child reading a small PDF), so
		// the address-space limit is only a backstop, 2 GiB above it, for
		// the child and the converters it runs. A watchdog ends the child
		// when its resident memory passes the limit.
		as := uint64(limit) + 2<<30
		_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: as, Max: as})
		debug.SetMemoryLimit(limit * 3 / 4)
		go func() {
			for range time.Tick(20 * time.Millisecond) {
				if residentMemory() > limit {
					fmt.Fprintln(os.Stderr, "hoso: memory limit exceeded")
					os.Exit(3)
				}
			}
		}()
	}
	debug.SetMaxStack(64 << 20)
	// The PDF reader allocates freely; fewer collections buy speed, and the
	// memory limit above still bounds the heap.
	debug.SetGCPercent(400)
	xcpu := make(chan os.Signal, 1)
	signal.Notify(xcpu, syscall.SIGXCPU)
	go func() {
		<-xcpu
		fmt.Fprintln(os.Stderr, "hoso: cpu time limit exceeded")
		os.Exit(3)
	}()
}

// serveRequest reads one file as the request asks; OCR progress goes to
// enc as it is made.
func serveRequest(req request, enc *json.Encoder) response {
	limitCPU(req.CPUSeconds)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(req.TimeoutMS)*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	opts := Options{Deadline: deadline, MaxPages: req.MaxPages, PDFToText: req.PDFToText, AttachDir: req.AttachDir}
	var res *Result
	var err error
	if req.OCR != nil {
		req.OCR.Progress = func(done, total int) {
			_ = enc.Encode(response{Progress: &Progress{Done: done, Total: total}})
		}
		res, err = FileOCR(ctx, req.Path, opts, *req.OCR)
	} else {
		res, err = File(ctx, req.Path, opts)
	}
	resp := response{Result: res}
	if errors.Is(err, ErrOCRMissing) {
		resp.Code, resp.Message = pipeline.EOCRMISSING, strings.TrimPrefix(err.Error(), ErrOCRMissing.Error()+": ")
	} else if err != nil {
		resp.Code, resp.Message = pipeline.ErrorCode(err), pipeline.ErrorMessage(err)
		if resp.Code == pipeline.EINTERNAL {
			resp.Message = "The file could not be read: " + err.Error()
		}
	}
	return resp
}

// PeakRSS is the most memory one of the sandbox's children (or a
// program a child ran: tesseract, pdftoppm, a converter) has held, in
// bytes, as the children report it after each file. The kernel's own
// count for children (getrusage) cannot tell it: a child started from a
// large parent is charged the parent's size at its start.
func (s *Sandbox) PeakRSS() int64 { return s.peak.Load() }

// peakMemory is the most memory this process has held (its VmHWM, which
// counts from its own start) or any program it ran and waited for, in
// bytes (0 when /proc cannot tell).
func peakMemory() int64 {
	var peak int64
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				peak = kb << 10
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		peak = max(peak, ru.Maxrss<<10)
	}
	return peak
}

// residentMemory is this process's resident set in bytes (0 when
// /proc cannot tell).
func residentMemory() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// limitCPU allows this process seconds more CPU time from now; past that
// the kernel sends SIGXCPU.
func limitCPU(seconds int64) {
	if seconds <= 0 {
		return
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return
	}
	used := ru.Utime.Sec + ru.Stime.Sec + 1
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CPU, &lim); err != nil {
		return
	}
	lim.Cur = uint64(used + seconds)
	if lim.Max != ^uint64(0) && lim.Cur > lim.Max {
		lim.Cur = lim.Max
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_CPU, &lim)
}

// dieWithParent makes a tool the child runs (pdftotext, pdftoppm,
// tesseract) die with the child, so that nothing of a killed process
// goes on reading.
func dieWithParent(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
