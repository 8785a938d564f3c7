// HttpServer: the gateway's HTTP/1.1 server, Boost.Beast on Asio.
//
// A few I/O threads serve every connection asynchronously, so an open
// connection costs no thread (a slow phone, an idle keep-alive, later the
// display's event stream); a request, once read whole, is handled on a
// bounded pool of handler threads (handlers call the services and may
// block), then written back on its connection. A streaming response
// (Server-Sent Events: the call display) holds its connection, not a
// thread: what it sends is queued and written by the I/O threads. Limits: header and body
// sizes, read and write time-outs (a client that trickles is dropped), and a
// maximum of open connections. TLS when a certificate is given (the same
// files as the gRPC server); the module refuses plaintext beyond loopback.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace accueil::gateway {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target before "?"
  std::string query;   // target after "?", "" when none
  // Header names in lower case; a repeated header keeps its first value.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The TCP peer's address ("127.0.0.1", "::1").
  std::string peer_address;
  bool tls = false;

  // Header: the value of `name` (lower case), "" when absent.
  const std::string& Header(std::string_view name) const;
  // Cookie: the value of the cookie `name` the request carries, "" when absent.
  std::string Cookie(std::string_view name) const;
};

// EventSink: the open body of a streaming response (Server-Sent Events).
// Thread-safe. Send never blocks: the text is queued for the connection's
// I/O thread. A client that closed, or that reads too slowly (more than
// HttpServerOptions::max_stream_queue_bytes waiting), is disconnected, and
// Send returns false from then on: drop the sink.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual bool Send(std::string text) = 0;
  virtual bool closed() const = 0;
  // Close ends the response (the connection closes once the queue is sent).
  virtual void Close() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A streaming response: the status and headers are sent without a
  // length (the body ends when the connection does), then `stream` is
  // called once, on a handler thread, with the sink the body goes through.
  // The connection has no I/O time-out meanwhile; it stays open until
  // either side closes it. `body` is ignored.
  std::function<void(std::shared_ptr<EventSink>)> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // "host:port"; port 0 picks one
  int io_threads = 2;
  int handler_threads = 8;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
  size_t max_connections = 10000;
  // A request must arrive whole, and a response leave, within this time; an
  // idle keep-alive connection is closed after it too.
  absl::Duration io_timeout = absl::Seconds(30);
  // A streaming response whose client lets this much wait unread is closed.
  size_t max_stream_queue_bytes = 256 * 1024;
  // TLS: PEM certificate chain and key; both empty: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  // Start listens and serves until Stop (or destruction).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler handler);
  virtual ~HttpServer() = default;
  virtual int port() const = 0;
  // Connections open now (tests and the benchmark).
  virtual size_t open_connections() const = 0;
  // Stop closes the listener and every connection, waits for handlers.
  virtual void Stop() = 0;
};

}  // namespace accueil::gateway
