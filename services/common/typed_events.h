// Typed event payloads: the message of each event type
// (proto/accueil/events/v1/events.proto, tied to its type by the option
// `accueil.events.v1.event_type`) and the parsing of an Event's JSON payload
// into it.
//
// Two modes. Production consumers parse leniently: a field they do not know
// (added by a newer writer while an upgrade rolls) is ignored, so that they
// never stall on it. Tests and checks of writers parse strictly: an unknown
// field is refused, so a payload that drifts from its message is caught.
// Either way a wrongly typed field is refused, and a type without a message
// is FAILED_PRECONDITION UNKNOWN_EVENT_TYPE.
//
//   for (const events::Event& e : events::ReadEvents(tx, cursor, 100)) {
//     if (e.type == "appointment.cancelled") {
//       accueil::events::v1::AppointmentCancelled c;
//       RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &c));
//       ... c.appointment(), c.cause() ...
//     }
//   }
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/events.h"

namespace accueil::events {

enum class ParseMode {
  kStrict,   // unknown fields refused: tests, checks of writers
  kLenient,  // unknown fields ignored: production consumers
};

// EventTypes returns every type that has a message, sorted.
std::vector<std::string> EventTypes();

// EventMessage returns the descriptor of the message for `type`, or
// FAILED_PRECONDITION UNKNOWN_EVENT_TYPE.
absl::StatusOr<const google::protobuf::Descriptor*> EventMessage(const std::string& type);

// ParsePayload parses `event`'s payload into `out`, which must be the
// message of event.type (else INVALID_ARGUMENT EVENT_TYPE_MISMATCH). A
// payload that does not fit the message is INVALID_ARGUMENT
// INVALID_EVENT_PAYLOAD, naming the event's position and the field.
absl::Status ParsePayload(const Event& event, ParseMode mode, google::protobuf::Message* out);

// ParsePayload returns `event`'s payload as a new message of its type.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParsePayload(const Event& event,
                                                                        ParseMode mode);

}  // namespace accueil::events
