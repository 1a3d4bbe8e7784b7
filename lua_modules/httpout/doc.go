// Package httpout is the Go side of outputs that POST to HTTP servers,
// the module sightline.http (input and output plugins only): a client
// with kept-alive connections, per-operation timeouts, TLS and basic
// authentication, and a file-backed batch for Elasticsearch's bulk API,
// whose response it reads item by item.
//
//	local http   = require "sightline.http"
//	local client = http.client{address = "127.0.0.1", port = 9200, timeout = 10}
//	local batch  = http.batch(read_config("output_path") .. "/es.batch")
//	batch:add('{"index":{}}\n{"a":1}\n')
//	local res, err = client:bulk("/_bulk", batch)
//	-- err: transport failure (nothing sent or no answer); the batch is kept
//	-- res.status outside 2xx: the batch is kept
//	-- else the batch holds only the res.retry entries to send again
//
// # Client
//
// http.client(cfg) takes url ("https://host:9200/prefix"), or address
// (default 127.0.0.1) and port (default 9200), https when ssl_params is
// set; timeout, seconds for each connect, read and write (default 10);
// ssl_params, the reference's LuaSec table (protocol as the lowest TLS
// version, key, certificate, cafile, capath, verify: the server is
// verified unless verify holds "none", where LuaSec's default is not to
// verify; servername, the name checked, default the host); username and
// password for basic authentication; headers, a table of extra request
// headers. Errors name the key. client:post(path, body[, content_type])
// returns the status and up to 64 KiB of the body; client:bulk(path,
// batch) sends a batch (see Client.Bulk): items rejected with 403, 408,
// 429 or 5xx stay in the batch to be sent again, other rejections are
// counted as failed and dropped. Failures are logged to the plugin's log,
// the first of a series and then once a minute. Requests end when the
// plugin is stopped.
//
// # Batch
//
// http.batch(path) truncates or creates the file; batch:add(s) appends an
// entry and returns the count; batch:count(), batch:size() (bytes),
// batch:reset(), batch:discard(reason) (reset, logging a warning with the
// number of entries dropped; returns it), batch:close() (removes the
// file).
package httpout
