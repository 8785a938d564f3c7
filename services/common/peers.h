// Peers: how a module reaches another module's services. When this process
// serves the other module, an in-process channel (no socket, still through
// that module's gate); otherwise the address its `<module>_address` key
// gives, plaintext on loopback, TLS beyond (roots: tls_client_ca_file when
// set, else the system's; the server's own certificate is presented for
// mutual TLS).
//
// A call made for a caller carries this process's service token, the agent
// it acts for and a request id derived from the caller's (Call::Downstream,
// gate.h), so the other module knows who asked and a retry replays end to
// end.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace accueil {

class Server;

struct PeerTls {
  std::string ca_file;    // empty: the system's roots
  std::string cert_file;  // with key_file: presented to the peer
  std::string key_file;
};

class Peers {
 public:
  // `addresses`: the configured address of each module (may be empty);
  // `served`: the modules this process serves.
  Peers(std::map<std::string, std::string> addresses, std::set<std::string> served, PeerTls tls);

  // SetLocal: the server of this process, once it listens.
  void SetLocal(const Server* server);

  // Channel to `module`'s services; FAILED_PRECONDITION PEER_UNREACHABLE
  // naming the key to set when the module is neither served here nor
  // configured.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Channel(absl::string_view module);

 private:
  const std::map<std::string, std::string> addresses_;
  const std::set<std::string> served_;
  const PeerTls tls_;
  absl::Mutex mu_;
  const Server* local_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil
