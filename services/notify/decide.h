// The decider: the consumer `notify.decide` (events/consumer.h) turns the
// appointments' events into messages to send, in the batch's transaction
// (transactional outbox: a message exists once the event that asked for it
// is applied, and only then):
//   appointment.booked        confirmation now; reminders at the desk's
//                             offsets (schedule.h); an attendance request
//                             where the desk asks for one (the sender
//                             checks the person's no-shows when it goes);
//   appointment.rescheduled   pending messages withdrawn; the move's
//                             confirmation; reminders for the new time;
//   appointment.cancelled     pending messages withdrawn; a cancellation
//                             (cause person, agent) or a closure notice
//                             (cause closure: the desk closed that day);
//   appointment.noshow        pending messages withdrawn; how to book again
//                             (out of the quiet hours);
//   arrived, in_service, not_served: pending messages withdrawn;
//   appointment.fulfilled     pending messages withdrawn; the satisfaction
//                             survey by e-mail, kSurveyDelay after (out of
//                             the quiet hours).
// One message per channel the module has a provider for; the sender drops a
// message for which the person gave no contact on that channel. Events
// marked as history (generated past activity) never cause a message, nor
// does an event more than a day old when the decider reads it (a provider
// configured on a running system, a decider back after a long outage: no
// flood of stale notices).
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/common/consumer.h"
#include "services/common/module.h"

namespace accueil::notify {

inline constexpr char kDecideConsumer[] = "notify.decide";
// Events older than this when read cause no message.
inline constexpr absl::Duration kStaleEvent = absl::Hours(24);
// The survey goes this long after the visit ended (out of the quiet hours).
inline constexpr absl::Duration kSurveyDelay = absl::Hours(2);

struct DecideOptions {
  bool email = false;  // an e-mail provider is configured
  bool sms = false;    // an SMS provider is configured
};

// NewDecider builds the consumer; `after_commit` runs once a batch that
// made messages has committed (wakes this process's senders).
std::unique_ptr<events::Consumer> NewDecider(const ServiceContext& context, DecideOptions options,
                                             std::function<void()> after_commit);

}  // namespace accueil::notify
