#include "services/gateway/http_server.h"

// Under -std=c++20, <utility> must come before Asio (TOOLS.md).
#include <utility>

#include <array>
#include <atomic>
#include <deque>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/log.h"

namespace accueil::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

const std::string kEmpty;

absl::StatusOr<tcp::endpoint> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return Error(absl::StatusCode::kInvalidArgument, "INVALID_LISTEN",
                 absl::StrCat("gateway_listen: \"", listen, "\" is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    return Error(absl::StatusCode::kInvalidArgument, "INVALID_LISTEN",
                 absl::StrCat("gateway_listen: \"", host, "\" is not an IP address"));
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

class ServerImpl;

// What a streaming response's sink and its connection share.
struct StreamState {
  std::atomic<bool> closed{false};
  std::atomic<size_t> queued{0};  // bytes sent to the sink, not yet written
};

// Session serves one connection: read a request, hand it to the handler
// pool, write the response, again while the client keeps it alive; or, for
// a streaming response, write what its sink queues until either side
// closes.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ServerImpl* server, Stream stream, std::string peer, bool tls);
  ~Session();
  void Run();

  // Streaming (on the connection's strand).
  template <class F>
  void Post(F f) {
    asio::post(stream_.get_executor(), std::move(f));
  }
  void Enqueue(std::string text);
  void EndStream();
  void AbortStream();

 private:
  void Read();
  void OnRead(beast::error_code ec, size_t bytes);
  void Write(HttpResponse response, bool close);
  void OnWrite(bool close, beast::error_code ec, size_t bytes);
  void Close();
  void StartStream(HttpResponse response);
  void WriteNext();
  void WatchClient();

  ServerImpl* server_;
  Stream stream_;
  std::string peer_;
  bool tls_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  // Streaming: the state shared with the sink, the texts to write, whether
  // one is being written, whether the sink ended the response.
  std::shared_ptr<StreamState> stream_state_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool ending_ = false;
  std::array<char, 256> discard_;
};

// The sink of a streaming response: queues onto its connection's strand.
template <class Stream>
class SessionSink final : public EventSink {
 public:
  SessionSink(std::weak_ptr<Session<Stream>> session, std::shared_ptr<StreamState> state,
              size_t limit)
      : session_(std::move(session)), state_(std::move(state)), limit_(limit) {}
  ~SessionSink() override { Close(); }

  bool Send(std::string text) override {
    if (state_->closed.load()) return false;
    std::shared_ptr<Session<Stream>> session = session_.lock();
    if (session == nullptr) {
      state_->closed = true;
      return false;
    }
    if (state_->queued.load() + text.size() > limit_) {
      // The client does not read: let it go rather than hold its backlog.
      state_->closed = true;
      session->Post([session] { session->AbortStream(); });
      return false;
    }
    state_->queued += text.size();
    session->Post(
        [session, text = std::move(text)]() mutable { session->Enqueue(std::move(text)); });
    return true;
  }
  bool closed() const override { return state_->closed.load(); }
  void Close() override {
    if (state_->closed.exchange(true)) return;
    if (std::shared_ptr<Session<Stream>> session = session_.lock()) {
      session->Post([session] { session->EndStream(); });
    }
  }

 private:
  std::weak_ptr<Session<Stream>> session_;
  std::shared_ptr<StreamState> state_;
  const size_t limit_;
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        acceptor_(io_),
        pool_(static_cast<size_t>(std::max(1, options_.handler_threads))) {}

  ~ServerImpl() override { Stop(); }

  absl::Status Listen() {
    absl::StatusOr<tcp::endpoint> endpoint = ParseListen(options_.listen);
    if (!endpoint.ok()) return endpoint.status();
    if (!options_.tls_cert_file.empty()) {
      tls_.emplace(asio::ssl::context::tls_server);
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      beast::error_code ec;
      tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
      if (!ec) tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
      if (ec) {
        return Error(absl::StatusCode::kFailedPrecondition, "TLS_FILES",
                     absl::StrCat("gateway TLS certificate or key: ", ec.message()));
      }
    }
    beast::error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(*endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error(absl::StatusCode::kFailedPrecondition, "LISTEN_FAILED",
                   absl::StrCat("gateway cannot listen on ", options_.listen, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }
  size_t open_connections() const override { return connections_.load(); }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    for (std::thread& t : threads_) t.join();
    pool_.join();
  }

  const HttpServerOptions& options() const { return options_; }
  asio::thread_pool& pool() { return pool_; }
  std::atomic<size_t>& connections() { return connections_; }

  HttpResponse Handle(const HttpRequest& request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      log::Error("gateway.handler_failed", {{"what", e.what()}});
      HttpResponse response;
      response.status = 500;
      response.body = "internal error\n";
      return response;
    }
  }

 private:
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
            Accept();
            return;
          }
          if (connections_.load() >= options_.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);
          } else {
            beast::error_code peer_ec;
            std::string peer = socket.remote_endpoint(peer_ec).address().to_string();
            if (peer_ec) peer.clear();
            if (tls_) {
              std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                  this, beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_),
                  std::move(peer), true)
                  ->Run();
            } else {
              std::make_shared<Session<beast::tcp_stream>>(
                  this, beast::tcp_stream(std::move(socket)), std::move(peer), false)
                  ->Run();
            }
          }
          Accept();
        });
  }

  const HttpServerOptions options_;
  const HttpHandler handler_;
  std::atomic<size_t> connections_{0};
  std::atomic<bool> stopped_{false};
  std::optional<asio::ssl::context> tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

std::chrono::steady_clock::duration Timeout(const ServerImpl* server) {
  return absl::ToChronoNanoseconds(server->options().io_timeout);
}

template <class Stream>
Session<Stream>::Session(ServerImpl* server, Stream stream, std::string peer, bool tls)
    : server_(server), stream_(std::move(stream)), peer_(std::move(peer)), tls_(tls) {
  ++server_->connections();
}

template <class Stream>
Session<Stream>::~Session() {
  --server_->connections();
}

template <class Stream>
void Session<Stream>::Run() {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    Read();
  } else {
    beast::get_lowest_layer(stream_).expires_after(Timeout(server_));
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (!ec) self->Read();
                            });
  }
}

template <class Stream>
void Session<Stream>::Read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_->options().max_header_bytes));
  parser_->body_limit(server_->options().max_body_bytes);
  beast::get_lowest_layer(stream_).expires_after(Timeout(server_));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
}

template <class Stream>
void Session<Stream>::OnRead(beast::error_code ec, size_t) {
  if (ec) {
    HttpResponse refusal;
    if (ec == http::error::body_limit) {
      refusal.status = 413;
      refusal.body = "request body too large\n";
    } else if (ec == http::error::header_limit) {
      refusal.status = 431;
      refusal.body = "request headers too large\n";
    } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      refusal.status = 400;
      refusal.body = "malformed HTTP request\n";
    } else {
      return Close();  // closed, reset or timed out
    }
    return Write(std::move(refusal), true);
  }
  http::request<http::string_body> message = parser_->release();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : message) {
    std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
    if (request.Header(name).empty()) {
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
  }
  request.body = std::move(message.body());
  request.peer_address = peer_;
  request.tls = tls_;
  const bool close = !message.keep_alive();
  asio::post(server_->pool(),
             [self = this->shared_from_this(), request = std::move(request), close]() mutable {
               HttpResponse response = self->server_->Handle(request);
               asio::post(self->stream_.get_executor(),
                          [self, response = std::move(response), close]() mutable {
                            if (response.stream) return self->StartStream(std::move(response));
                            self->Write(std::move(response), close);
                          });
             });
}

template <class Stream>
void Session<Stream>::Write(HttpResponse response, bool close) {
  response_ = std::make_shared<http::response<http::string_body>>();
  response_->version(11);
  response_->result(static_cast<unsigned>(response.status));
  response_->set(http::field::content_type, response.content_type);
  // insert, not set: a response may carry a header twice (Set-Cookie).
  for (auto& [name, value] : response.headers) response_->insert(name, value);
  response_->body() = std::move(response.body);
  response_->keep_alive(!close);
  response_->prepare_payload();
  beast::get_lowest_layer(stream_).expires_after(Timeout(server_));
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), close));
}

template <class Stream>
void Session<Stream>::OnWrite(bool close, beast::error_code ec, size_t) {
  response_.reset();
  if (ec) return;
  if (close) return Close();
  Read();
}

template <class Stream>
void Session<Stream>::StartStream(HttpResponse response) {
  const unsigned status = static_cast<unsigned>(response.status);
  std::string head = absl::StrCat("HTTP/1.1 ", status, " ",
                                  std::string(http::obsolete_reason(http::int_to_status(status))),
                                  "\r\nContent-Type: ", response.content_type, "\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&head, "Connection: close\r\n\r\n");
  stream_state_ = std::make_shared<StreamState>();
  stream_state_->queued = head.size();
  // The watching read starts before any write arms the timer: Beast gives a
  // pending read the expiry set when it started, and a later expires_never()
  // would not lift it (the stream would be cut after io_timeout). Writes
  // alone are timed (WriteNext).
  beast::get_lowest_layer(stream_).expires_never();
  WatchClient();
  Enqueue(std::move(head));
  auto sink = std::make_shared<SessionSink<Stream>>(this->weak_from_this(), stream_state_,
                                                    server_->options().max_stream_queue_bytes);
  asio::post(server_->pool(), [stream = std::move(response.stream), sink]() { stream(sink); });
}

template <class Stream>
void Session<Stream>::Enqueue(std::string text) {
  if (stream_state_ == nullptr) return;
  out_.push_back(std::move(text));
  WriteNext();
}

template <class Stream>
void Session<Stream>::WriteNext() {
  if (writing_) return;
  if (out_.empty()) {
    if (ending_) Close();
    return;
  }
  writing_ = true;
  // A write that takes longer than the time-out is a client gone.
  beast::get_lowest_layer(stream_).expires_after(Timeout(server_));
  asio::async_write(stream_, asio::buffer(out_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      self->stream_state_->queued -= self->out_.front().size();
                      self->out_.pop_front();
                      if (ec) return self->AbortStream();
                      beast::get_lowest_layer(self->stream_).expires_never();
                      self->WriteNext();
                    });
}

// WatchClient reads (and drops) what the client sends, to learn when it
// goes away.
template <class Stream>
void Session<Stream>::WatchClient() {
  stream_.async_read_some(asio::buffer(discard_),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->AbortStream();
                            self->WatchClient();
                          });
}

template <class Stream>
void Session<Stream>::EndStream() {
  ending_ = true;
  WriteNext();
}

template <class Stream>
void Session<Stream>::AbortStream() {
  if (stream_state_ != nullptr) stream_state_->closed = true;
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Stream>
void Session<Stream>::Close() {
  beast::error_code ignored;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  } else {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  }
}

}  // namespace

const std::string& HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return kEmpty;
}

std::string HttpRequest::Cookie(std::string_view name) const {
  for (absl::string_view part : absl::StrSplit(Header("cookie"), ';')) {
    part = absl::StripAsciiWhitespace(part);
    const size_t eq = part.find('=');
    if (eq != absl::string_view::npos &&
        part.substr(0, eq) == absl::string_view(name.data(), name.size())) {
      return std::string(part.substr(eq + 1));
    }
  }
  return "";
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler handler) {
  auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  return server;
}

}  // namespace accueil::gateway
