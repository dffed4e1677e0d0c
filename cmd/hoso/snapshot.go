package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"hoso/pipeline"
	"hoso/search"
)

// A serve node publishes a snapshot of its search index to the blob store
// now and then, and a node that starts with no index unpacks the newest
// instead of reading the whole change feed (hoso bench scale --catch-up
// measures both: 17× faster at 2,100 and at 10,500 documents).

// DefaultSnapshotEvery is how often the serve nodes of an office on
// PostgreSQL publish an index snapshot between them.
const DefaultSnapshotEvery = time.Hour

// indexDir is the node's index folder.
func (rt *Runtime) indexDir() string { return filepath.Join(rt.cfg.DataDir, "index") }

// RestoreIndexSnapshot unpacks the newest published index snapshot into
// the node's index folder when it holds no index yet, and returns it; the
// zero snapshot when it did not (an index is there, or none was
// published). Call it before OpenIndex.
func (rt *Runtime) RestoreIndexSnapshot(ctx context.Context) (pipeline.IndexSnapshot, error) {
	if _, err := os.Stat(filepath.Join(rt.indexDir(), "CURRENT")); err == nil {
		return pipeline.IndexSnapshot{}, nil
	}
	snap, err := rt.Store.IndexSnapshotLatest(ctx)
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return pipeline.IndexSnapshot{}, nil
	} else if err != nil {
		return pipeline.IndexSnapshot{}, err
	}
	r, err := rt.Blobs.Open(ctx, snap.SHA256)
	if err != nil {
		return pipeline.IndexSnapshot{}, fmt.Errorf("open index snapshot %d: %w", snap.ID, err)
	}
	defer r.Close()
	if err := search.RestoreSnapshot(ctx, r, rt.indexDir()); err != nil {
		if errors.Is(err, search.ErrIndexExists) {
			return pipeline.IndexSnapshot{}, nil
		}
		return pipeline.IndexSnapshot{}, fmt.Errorf("index snapshot %d: %w", snap.ID, err)
	}
	return snap, nil
}

// PublishIndexSnapshot stores a snapshot of the node's index in the blob
// store and records it.
func (rt *Runtime) PublishIndexSnapshot(ctx context.Context) (pipeline.IndexSnapshot, error) {
	pr, pw := io.Pipe()
	var info search.SnapshotInfo
	go func() {
		var err error
		info, err = rt.Index.WriteSnapshot(ctx, pw)
		pw.CloseWithError(err)
	}()
	stored, err := rt.Blobs.Put(ctx, pr, 0)
	pr.CloseWithError(err) // the writer stops if Put gave up
	if err != nil {
		return pipeline.IndexSnapshot{}, fmt.Errorf("publish index snapshot: %w", err)
	}
	return rt.Store.IndexSnapshotCreate(ctx, pipeline.IndexSnapshot{Node: rt.cfg.Node, SHA256: stored.SHA256, Size: stored.Size,
		Position: info.Position, Documents: int64(info.Documents)})
}

// RunSnapshots publishes an index snapshot about every period until the
// returned stop is called: when the newest is older than that (whichever
// node published it) and this node's index has read past it.
func (rt *Runtime) RunSnapshots(ctx context.Context, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := rt.maybePublish(ctx, every); err != nil && ctx.Err() == nil {
				rt.cfg.Logger.WarnContext(ctx, "Index snapshot not published", "error", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

func (rt *Runtime) maybePublish(ctx context.Context, every time.Duration) error {
	latest, err := rt.Store.IndexSnapshotLatest(ctx)
	if err != nil && pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		return err
	}
	mark, err := rt.Index.HighWaterMark()
	if err != nil {
		return err
	}
	if latest.ID != 0 && (time.Since(latest.CreatedAt) < every*9/10 || !latest.Position.Before(mark)) {
		return nil
	}
	if mark == (pipeline.FeedPosition{}) {
		return nil // nothing indexed yet
	}
	snap, err := rt.PublishIndexSnapshot(ctx)
	if err != nil {
		return err
	}
	rt.cfg.Logger.InfoContext(ctx, "Index snapshot published", "snapshot_id", snap.ID, "documents", snap.Documents, "bytes", snap.Size)
	return nil
}
