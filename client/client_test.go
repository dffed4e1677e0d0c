package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"hoso/client"
	"hoso/pipeline"
	"hoso/search"
)

func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"Sign in first."}}`))
			return
		}
		switch r.URL.Path {
		case "/api/v1/search":
			if r.URL.Query().Get("q") != "giấy phép" || r.URL.Query().Get("type") != "permit" {
				t.Errorf("search query %q", r.URL.RawQuery)
			}
			w.Write([]byte(`{"total":3}`))
		case "/api/v1/reindex":
			w.Write([]byte(`{"documents":7,"generation":2}`))
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := client.New(srv.URL+"/", " secret ")
	res, err := c.Search(ctx, search.Request{Query: "giấy phép", Type: "permit"})
	if err != nil || res.Total != 3 {
		t.Errorf("Search = %+v, %v", res, err)
	}
	if r, err := c.Reindex(ctx); err != nil || r.Documents != 7 || r.Generation != 2 {
		t.Errorf("Reindex = %+v, %v", r, err)
	}
	_, err = client.New(srv.URL, "wrong").Search(ctx, search.Request{Query: "x"})
	if pipeline.ErrorCode(err) != "unauthorized" || pipeline.ErrorMessage(err) != "Sign in first." {
		t.Errorf("refused search: %v, want the server's error", err)
	}
	if _, err := c.Batch(ctx, 1); err == nil || pipeline.ErrorCode(err) != pipeline.EINTERNAL {
		t.Errorf("an answer without a body: %v", err)
	}
}
