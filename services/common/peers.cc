#include "services/common/peers.h"

#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/errors.h"
#include "services/common/server.h"
#include "services/common/status_macros.h"

namespace accueil {
Peers::Peers(std::map<std::string, std::string> addresses, std::set<std::string> served,
             PeerTls tls)
    : addresses_(std::move(addresses)), served_(std::move(served)), tls_(std::move(tls)) {}

void Peers::SetLocal(const Server* server) {
  absl::MutexLock lock(&mu_);
  local_ = server;
  channels_.clear();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Peers::Channel(absl::string_view module) {
  const std::string name(module);
  absl::MutexLock lock(&mu_);
  if (auto it = channels_.find(name); it != channels_.end()) return it->second;
  std::shared_ptr<grpc::Channel> channel;
  auto address = addresses_.find(name);
  if (served_.count(name) > 0 && local_ != nullptr) {
    channel = local_->InProcessChannel();
  } else if (address != addresses_.end() && !address->second.empty()) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (IsLoopback(address->second)) {
      credentials = grpc::InsecureChannelCredentials();
    } else {
      grpc::SslCredentialsOptions ssl;
      if (!tls_.ca_file.empty()) {
        ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem("tls_client_ca_file", tls_.ca_file));
      }
      if (!tls_.cert_file.empty() && !tls_.key_file.empty()) {
        ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem("tls_cert_file", tls_.cert_file));
        ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem("tls_key_file", tls_.key_file));
      }
      credentials = grpc::SslCredentials(ssl);
    }
    channel = grpc::CreateChannel(address->second, credentials);
  } else {
    return Error(absl::StatusCode::kFailedPrecondition, "PEER_UNREACHABLE",
                 absl::StrCat("the ", name, " module is not served by this process: set ", name,
                              "_address"));
  }
  channels_[name] = channel;
  return channel;
}

}  // namespace accueil
