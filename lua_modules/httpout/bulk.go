package httpout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxItemErrors is how many item failures a BulkResult describes.
const maxItemErrors = 5

// BulkResult is what an Elasticsearch bulk request came to.
type BulkResult struct {
	// Status is the HTTP status. Outside 2xx nothing below is set but
	// Body, and the batch is left as it was.
	Status int
	// Body is the start of a non-2xx response's body.
	Body string
	// Items is the number of items in the response; Accepted of them were
	// indexed, Failed rejected for good (a mapping error, a conflict: 4xx
	// statuses other than 403, 408 and 429), and Retry entries are left in
	// the batch to send again (items rejected with 403, 408, 429 or 5xx:
	// a full queue, a read-only index, a node going away).
	Items, Accepted, Failed, Retry int
	// Errors describes the first few items rejected for good, RetryErrors
	// the first few to send again.
	Errors, RetryErrors []ItemError
	// Mismatch is set when the response's items do not match the batch's
	// entries one for one (an encoder writing several actions per
	// message): failures cannot be told apart, so an item to retry keeps
	// the whole batch.
	Mismatch bool
	// Unparsed is set when a 2xx body was not a bulk response: the batch
	// counts as accepted, as in the reference.
	Unparsed error
}

// ItemError is one item of a bulk response that failed.
type ItemError struct {
	Index  int    // of the item (and of the batch entry), from 0
	Status int    // the item's HTTP status
	Type   string // error.type, e.g. "mapper_parsing_exception"
	Reason string // error.reason
}

func (e ItemError) String() string {
	s := fmt.Sprintf("item %d: status %d", e.Index, e.Status)
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// retriable reports whether an item rejected with status may succeed if
// sent again.
func retriable(status int) bool {
	return status == 403 || status == 408 || status == 429 || status >= 500
}

// Bulk sends the batch as the body of an Elasticsearch bulk request
// (application/x-ndjson) to path. With a 2xx response the batch is cut
// down to the entries to send again (BulkResult.Retry of them), usually
// none; with any other status it is left as it was. An error is a
// transport failure or a batch that cannot be read or rewritten; the
// batch is then left as it was.
func (c *Client) Bulk(ctx context.Context, path string, b *Batch) (*BulkResult, error) {
	body, err := b.body()
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, path, "application/x-ndjson", body, b.Size())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &BulkResult{Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		p, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		drain(resp.Body)
		res.Body = string(p)
		return res, nil
	}
	var retry []int
	err = parseBulk(resp.Body, func(i, status int, errType, reason string) {
		res.Items++
		switch {
		case status >= 200 && status <= 299:
			res.Accepted++
			return
		case retriable(status):
			retry = append(retry, i)
			if len(res.RetryErrors) < maxItemErrors {
				res.RetryErrors = append(res.RetryErrors, ItemError{Index: i, Status: status, Type: errType, Reason: reason})
			}
		default:
			res.Failed++
			if len(res.Errors) < maxItemErrors {
				res.Errors = append(res.Errors, ItemError{Index: i, Status: status, Type: errType, Reason: reason})
			}
		}
	})
	if err != nil {
		var ne netError
		if errors.As(err, &ne) {
			// The response was cut: whether the items were indexed is
			// unknown, so the batch goes again.
			return nil, fmt.Errorf("reading the bulk response: %w", err)
		}
		drain(resp.Body)
		res.Unparsed = err
		return res, b.Reset()
	}
	drain(resp.Body)
	switch {
	case len(retry) == 0:
		return res, b.Reset()
	case res.Items != b.Count():
		res.Mismatch = true
		res.Retry = b.Count()
		res.Failed = 0
		res.RetryErrors = append(res.Errors, res.RetryErrors...)[:min(maxItemErrors, len(res.Errors)+len(res.RetryErrors))]
		res.Errors = nil
		return res, nil
	}
	res.Retry = len(retry)
	return res, b.Keep(retry)
}

// netError marks an error reading the response body, as opposed to its
// content not being a bulk response.
type netError struct{ error }

func (e netError) Unwrap() error { return e.error }

// errorReader tells read errors from JSON syntax errors.
type errorReader struct{ r io.Reader }

func (r errorReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = netError{err}
	}
	return n, err
}

// bulkItem is one action's result: {"index": {"status": 201, ...}}.
type bulkItem struct {
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

// parseBulk reads a bulk response, {"took":..,"errors":..,"items":[..]},
// calling item for each item in order, without holding the items in
// memory.
func parseBulk(r io.Reader, item func(i, status int, errType, reason string)) error {
	dec := json.NewDecoder(errorReader{r})
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	sawItems := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if key != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		sawItems = true
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		for i := 0; dec.More(); i++ {
			var actions map[string]bulkItem
			if err := dec.Decode(&actions); err != nil {
				return err
			}
			status := 0
			var errType, reason string
			for _, a := range actions { // one action per item
				status = a.Status
				errType, reason = itemError(a.Error)
			}
			item(i, status, errType, reason)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	if !sawItems {
		return errors.New("no items in the response")
	}
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %v, found %v", d, tok)
	}
	return nil
}

// itemError reads an item's error: an object with type and reason (and
// caused_by, whose reason is added), or a string in old versions.
func itemError(raw json.RawMessage) (errType, reason string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "", s
	}
	var e struct {
		Type     string `json:"type"`
		Reason   string `json:"reason"`
		CausedBy *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"caused_by"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "", strings.TrimSpace(string(raw))
	}
	reason = e.Reason
	if e.CausedBy != nil && e.CausedBy.Reason != "" {
		reason += " (" + e.CausedBy.Type + ": " + e.CausedBy.Reason + ")"
	}
	return e.Type, reason
}
