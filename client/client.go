// Package client talks to a running hoso server through its JSON API
// (/api/v1): uploads, batch status, search and reindexing, as the hoso
// ingest, search and reindex commands do. An error the server explains
// comes back as the *pipeline.Error it sent.
package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hoso/pipeline"
	"hoso/search"
	"hoso/web"
)

// Client is a server's address and the API token to show it.
type Client struct {
	base  string
	token string
	// HTTP sends the requests; default http.DefaultClient.
	HTTP *http.Client
}

// New returns a client of the server at base (http://host:port) that
// signs its requests with token.
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: strings.TrimSpace(token), HTTP: http.DefaultClient}
}

// BaseURL is the server's address as the client uses it.
func (c *Client) BaseURL() string { return c.base }

// do sends a request to path and decodes the answer into out when the
// status is want; what names the request in an error of the transport.
func (c *Client) do(ctx context.Context, what, method, path string, body io.Reader, contentType string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return failure(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// failure turns an error answer into the server's *pipeline.Error, or an
// error naming the status when the body says nothing.
func failure(resp *http.Response) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err == nil && body.Error.Message != "" {
		return &pipeline.Error{Code: body.Error.Code, Message: body.Error.Message}
	}
	return fmt.Errorf("server answered %s", resp.Status)
}

// Upload sends a batch as a multipart form (a name field, a department
// field, then the files) read from body.
func (c *Client) Upload(ctx context.Context, body io.Reader, contentType string) (*web.BatchCreated, error) {
	var created web.BatchCreated
	if err := c.do(ctx, "upload to", http.MethodPost, "/api/v1/batches", body, contentType, http.StatusCreated, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// Batch returns a batch's status.
func (c *Client) Batch(ctx context.Context, id int64) (*web.BatchStatus, error) {
	var st web.BatchStatus
	if err := c.do(ctx, "ask", http.MethodGet, fmt.Sprintf("/api/v1/batches/%d", id), nil, "", http.StatusOK, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// WaitBatch asks for a batch's status every interval until every one of
// its documents has finished.
func (c *Client) WaitBatch(ctx context.Context, id int64, every time.Duration) (*web.BatchStatus, error) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		st, err := c.Batch(ctx, id)
		if err != nil || st.Done {
			return st, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// Search runs a query on the server, in the scope of the token's user.
func (c *Client) Search(ctx context.Context, req search.Request) (*search.Response, error) {
	v := url.Values{"q": {req.Query}, "limit": {strconv.Itoa(max(1, req.Size))}, "facets": {strconv.FormatBool(req.Facets)}}
	for k, val := range map[string]string{"type": req.Type, "department": req.Department, "sort": req.Sort, "match": req.Match} {
		if val != "" {
			v.Set(k, val)
		}
	}
	var res search.Response
	if err := c.do(ctx, "ask", http.MethodGet, "/api/v1/search?"+v.Encode(), nil, "", http.StatusOK, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Reindex asks the server to rebuild its search index (an admin's token).
func (c *Client) Reindex(ctx context.Context) (*search.ReindexResult, error) {
	var res search.ReindexResult
	if err := c.do(ctx, "ask", http.MethodPost, "/api/v1/reindex", nil, "", http.StatusOK, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
