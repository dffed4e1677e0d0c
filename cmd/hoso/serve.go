package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hoso/pipeline"
	"hoso/search"
	"hoso/web"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	f := m.newFlags("serve").extraction().uploads()
	addr := f.fs.String("addr", envOr(m.Getenv("HOSO_ADDR"), "127.0.0.1:8080"), "address to listen on")
	queues := f.queuesFlag()
	node := f.fs.String("node", m.Getenv("HOSO_NODE"), "this search node's name, shown with its index lag (default host:data folder)")
	snapshotEvery := f.fs.Duration("snapshot-every", envDuration(m.Getenv("HOSO_SNAPSHOT_EVERY"), -1),
		"how often the serve nodes publish a search-index snapshot to the blob store, for new nodes to start from; 0: never (default 1h on PostgreSQL, never on SQLite)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	if *snapshotEvery < 0 {
		*snapshotEvery = 0
		if f.cfg.DatabaseURL != "" && !isSQLiteURL(f.cfg.DatabaseURL) {
			*snapshotEvery = DefaultSnapshotEvery
		}
	}
	if err := queues(); err != nil {
		return err
	}
	f.cfg.Node = *node
	if f.cfg.Node == "" {
		f.cfg.Node = defaultNode(f.cfg.DataDir)
	}
	rt, err := OpenRuntime(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := m.openServeIndex(ctx, rt); err != nil {
		return err
	}
	// the first searches should not pay for reading the common words
	go func() { _, _ = rt.Index.Warm(ctx) }()
	q, err := rt.StartWorkers(ctx)
	if err != nil {
		return err
	}
	defer stopQueue(ctx, q)
	stopIndexer := rt.RunIndexer(ctx)
	defer stopIndexer()
	if *snapshotEvery > 0 {
		stopSnapshots := rt.RunSnapshots(ctx, *snapshotEvery)
		defer stopSnapshots()
	}
	password, err := web.CreateFirstAdmin(ctx, rt.Store)
	if err != nil {
		return err
	}
	if password != "" {
		fmt.Fprintf(m.Stderr, "\nCreated the first administrator.\n  user name: admin\n  password:  %s\nThis password is shown only now. Sign in and choose your own; then add users on the Users page or with hoso users add.\n\n", password)
	}
	return m.serveHTTP(ctx, rt, *addr)
}

// openServeIndex opens the node's search index; an empty one is first
// filled from the newest index snapshot, when there is one that unpacks
// and opens, else the index is built from the change feed.
func (m *Main) openServeIndex(ctx context.Context, rt *Runtime) error {
	snap, err := rt.RestoreIndexSnapshot(ctx)
	if err != nil {
		fmt.Fprintf(m.Stderr, "The search-index snapshot could not be unpacked (%v); the index is built from the change feed.\n", err)
	} else if snap.ID != 0 {
		fmt.Fprintf(m.Stderr, "Search index unpacked from snapshot %d of node %s (%d documents); the change feed after it follows.\n", snap.ID, snap.Node, snap.Documents)
	}
	err = rt.OpenIndex()
	if err == nil || snap.ID == 0 || errors.Is(err, search.ErrInUse) {
		return err
	}
	// The snapshot just unpacked does not open: start empty instead.
	fmt.Fprintf(m.Stderr, "The unpacked search-index snapshot does not open (%v); the index is built from the change feed.\n", err)
	if err := os.RemoveAll(rt.indexDir()); err != nil {
		return err
	}
	return rt.OpenIndex()
}

// serveHTTP serves the web pages and the API on addr until ctx ends,
// then lets the requests in flight finish.
func (m *Main) serveHTTP(ctx context.Context, rt *Runtime, addr string) error {
	jobs, err := rt.JobsUI(ctx)
	if err != nil {
		return err
	}
	proxies, err := parseProxies(m.Getenv("HOSO_TRUSTED_PROXIES"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler: web.New(web.Config{Store: rt.Store, Blobs: rt.Blobs, Ingester: rt.Ingester(), Index: rt.Index, Logger: rt.cfg.Logger,
			Jobs: jobs, Metrics: rt.Metrics.Handler(), SecureCookies: m.Getenv("HOSO_SECURE_COOKIES") == "true",
			FourEyes: m.Getenv("HOSO_FOUR_EYES") == "true", TrustedProxies: proxies}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(m.Stderr, "hoso is serving on http://%s (data in %s)\n", ln.Addr(), rt.cfg.DataDir)
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(m.Stderr, "hoso stopped")
	return nil
}

func (m *Main) worker(ctx context.Context, args []string) error {
	f := m.newFlags("worker").extraction()
	queues := f.queuesFlag()
	if _, err := f.parse(args); err != nil {
		return err
	}
	if err := queues(); err != nil {
		return err
	}
	if f.cfg.DatabaseURL == "" || isSQLiteURL(f.cfg.DatabaseURL) {
		return usageError{"workers on their own need PostgreSQL (--database-url postgres://...); with SQLite, hoso serve runs the workers itself"}
	}
	rt, err := OpenRuntime(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	q, err := rt.StartWorkers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stderr, "hoso worker started")
	<-ctx.Done()
	stopQueue(ctx, q)
	fmt.Fprintln(m.Stderr, "hoso worker stopped")
	return nil
}

// stopQueue lets running jobs finish for a while, then cancels them; a
// cancelled job runs again on the next start.
func stopQueue(ctx context.Context, q queue) {
	soft, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := q.Stop(soft); err != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = q.StopAndCancel(hard)
	}
}

// defaultNode names a search node after its machine and its data folder,
// which holds its index: two nodes on one machine have two folders.
func defaultNode(dataDir string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return host + ":" + dataDir
}

// queuesFlag declares --queues; the function it returns, called after
// parsing, sets the configuration's queues.
func (f *flags) queuesFlag() func() error {
	v := f.fs.String("queues", f.getenv("HOSO_QUEUES"), "job queues to work, separated by commas ("+strings.Join(pipeline.Queues, ", ")+"); default all")
	return func() error {
		q, err := parseQueues(*v)
		f.cfg.Queues = q
		return err
	}
}

func envOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// parseProxies reads HOSO_TRUSTED_PROXIES: addresses or CIDR ranges,
// separated by commas or spaces.
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, usageError{fmt.Sprintf("HOSO_TRUSTED_PROXIES: %q is not an address or a range such as 10.0.0.0/8", f)}
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
