package main

import (
	"context"
	"errors"
	"fmt"

	"hoso/client"
	"hoso/pipeline"
	"hoso/search"
)

// reindex builds a fresh search index from the database beside the live
// one and swaps it in. When a server holds the index, it asks the server
// to do it; searches keep answering meanwhile.
func (m *Main) reindex(ctx context.Context, args []string) error {
	f := m.newFlags("reindex")
	server := f.fs.String("server", m.Getenv("HOSO_SERVER"), "ask this running hoso server to reindex")
	token := f.fs.String("token", m.Getenv("HOSO_TOKEN"), "an admin's API token, to ask a server; default $HOSO_TOKEN")
	if _, err := f.parse(args); err != nil {
		return err
	}
	var res search.ReindexResult
	if *server == "" {
		rt, err := OpenRuntime(ctx, f.cfg)
		if err != nil {
			return err
		}
		defer rt.Close()
		err = rt.OpenIndex()
		if errors.Is(err, search.ErrInUse) {
			rt.Close()
			*server = "http://127.0.0.1:8080"
			fmt.Fprintf(m.Stderr, "The index is held by a running server; asking it at %s (set --server to choose).\n", *server)
		} else if err != nil {
			return err
		} else if res, err = rt.Index.Reindex(ctx, rt.Store); err != nil {
			return err
		} else if err := cliAudit(ctx, rt.Store, pipeline.AuditReindex, "index", map[string]any{"documents": res.Documents, "generation": res.Generation}); err != nil {
			return err
		}
	}
	if *server != "" {
		r, err := client.New(*server, *token).Reindex(ctx)
		if err != nil {
			return err
		}
		res = *r
	}
	fmt.Fprintf(m.Stdout, "Reindexed %d documents into generation %d in %.1f s\n", res.Documents, res.Generation, res.Elapsed.Seconds())
	return nil
}
