// NotifyService (proto/accueil/notify/v1/notify.proto; docs/notify.md):
// what agents see of the messages. Thread-safe: no mutable state.
#pragma once

#include "accueil/notify/v1/notify.grpc.pb.h"
#include "services/common/gate.h"
#include "services/common/server.h"

namespace accueil::notify {

namespace v1 = ::accueil::notify::v1;

class NotifyService final : public v1::NotifyService::Service {
 public:
  explicit NotifyService(const ServiceContext& context);

  grpc::Status ListMessages(grpc::ServerContext*, const v1::ListMessagesRequest*,
                            v1::ListMessagesResponse*) override;

 private:
  absl::Status DoListMessages(Call& call, const v1::ListMessagesRequest&,
                              v1::ListMessagesResponse*);
  const ServiceContext ctx_;
};

}  // namespace accueil::notify
