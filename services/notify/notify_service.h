// NotifyService (proto/accueil/notify/v1/notify.proto; docs/notify.md):
// what agents see of the messages. Thread-safe: no mutable state.
#pragma once

#include "accueil/notify/v1/notify.grpc.pb.h"
#include "services/common/gate.h"
#include "services/common/server.h"
#include "services/notify/booking_client.h"

namespace accueil::notify {

namespace v1 = ::accueil::notify::v1;

class NotifyService final : public v1::NotifyService::Service {
 public:
  NotifyService(const ServiceContext& context, BookingClient* booking);

  grpc::Status ListMessages(grpc::ServerContext*, const v1::ListMessagesRequest*,
                            v1::ListMessagesResponse*) override;
  grpc::Status GetDeskNotifySettings(grpc::ServerContext*, const v1::GetDeskNotifySettingsRequest*,
                                     v1::DeskNotifySettings*) override;
  grpc::Status UpdateDeskNotifySettings(grpc::ServerContext*,
                                        const v1::UpdateDeskNotifySettingsRequest*,
                                        v1::DeskNotifySettings*) override;

 private:
  absl::Status DoListMessages(Call& call, const v1::ListMessagesRequest&,
                              v1::ListMessagesResponse*);
  absl::Status DoGetSettings(Call& call, const v1::GetDeskNotifySettingsRequest&,
                             v1::DeskNotifySettings*);
  absl::Status DoUpdateSettings(Call& call, const v1::UpdateDeskNotifySettingsRequest&,
                                v1::DeskNotifySettings*);
  const ServiceContext ctx_;
  BookingClient* booking_;
};

}  // namespace accueil::notify
