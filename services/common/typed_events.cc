#include "services/common/typed_events.h"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "accueil/events/v1/events.pb.h"
#include "services/common/errors.h"
#include "services/common/status_macros.h"

namespace accueil::events {
namespace {

using google::protobuf::Descriptor;

// Registry maps each type to its message, from the descriptors of
// events.proto: the option on a message is the only place a type is named.
const absl::flat_hash_map<std::string, const Descriptor*>& Registry() {
  static const auto* registry = [] {
    auto* map = new absl::flat_hash_map<std::string, const Descriptor*>();
    const google::protobuf::FileDescriptor* file = v1::SiteCreated::descriptor()->file();
    for (int i = 0; i < file->message_type_count(); ++i) {
      const Descriptor* message = file->message_type(i);
      // A message without a type, or a type given twice, is a mistake in
      // events.proto that no test could miss: the registry test fails.
      for (int t = 0; t < message->options().ExtensionSize(v1::event_type); ++t) {
        map->emplace(message->options().GetExtension(v1::event_type, t), message);
      }
    }
    return map;
  }();
  return *registry;
}

}  // namespace

std::vector<std::string> EventTypes() {
  std::vector<std::string> types;
  for (const auto& [type, message] : Registry()) types.push_back(type);
  std::sort(types.begin(), types.end());
  return types;
}

absl::StatusOr<const Descriptor*> EventMessage(const std::string& type) {
  auto it = Registry().find(type);
  if (it == Registry().end()) {
    return Error(
        absl::StatusCode::kFailedPrecondition, "UNKNOWN_EVENT_TYPE",
        absl::StrCat("no message for event type \"", type, "\" in accueil/events/v1/events.proto"));
  }
  return it->second;
}

absl::Status ParsePayload(const Event& event, ParseMode mode, google::protobuf::Message* out) {
  ASSIGN_OR_RETURN(const Descriptor* message, EventMessage(event.type));
  if (out->GetDescriptor() != message) {
    return Error(absl::StatusCode::kInvalidArgument, "EVENT_TYPE_MISMATCH",
                 absl::StrCat("event type ", event.type, " has message ", message->full_name(),
                              ", not ", out->GetDescriptor()->full_name()));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = mode == ParseMode::kLenient;
  out->Clear();
  auto status = google::protobuf::util::JsonStringToMessage(event.payload_json, out, options);
  if (!status.ok()) {
    // The parser names the field (and may quote its value: payloads hold no
    // personal data).
    return Error(absl::StatusCode::kInvalidArgument, "INVALID_EVENT_PAYLOAD",
                 absl::StrCat(event.type, " at (", event.txid, ", ", event.position,
                              "): ", status.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParsePayload(const Event& event,
                                                                        ParseMode mode) {
  ASSIGN_OR_RETURN(const Descriptor* message, EventMessage(event.type));
  std::unique_ptr<google::protobuf::Message> out(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(message)->New());
  RETURN_IF_ERROR(ParsePayload(event, mode, out.get()));
  return out;
}

}  // namespace accueil::events
