// Sender: the module's worker that sends the messages the decider made
// (docs/notify.md#delivery). Each of its threads, in a loop:
//   1. claims up to `batch` due messages in one short transaction: pending
//      and due, or `sending` with an expired lease (a sender that died), by
//      `FOR UPDATE SKIP LOCKED`, so that threads and replicas never claim
//      the same message; the claim commits a lease and counts an attempt;
//   2. asks booking, for the whole batch at once, each appointment's
//      status, times, contact, language and management details (nothing of
//      this is stored);
//   3. drops what must not go (no longer booked, already started, moved
//      since, no contact on the channel), puts a reminder that fell in the
//      quiet hours off to their end, renders the rest and hands each to its
//      provider, no transaction open;
//   4. records the outcomes and attempts by small windows (`record_window`
//      messages, or what `record_delay` saw sent), one transaction each:
//      accepted; retry later (exponential backoff with jitter) up to
//      `max_attempts`, then failed (dead letter with the reason); failed.
// A crash leaves the rest of the batch `sending` until its lease ends, when
// another sender takes it; only the messages a thread had handed over and
// not yet recorded at that instant (at most a window) may go out twice
// (same Message-ID).
// Woken when the decider commits in this process; polls as a backstop.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/module.h"
#include "services/notify/access.h"
#include "services/notify/booking_client.h"
#include "services/notify/channel.h"
#include "services/notify/contacts.h"
#include "services/notify/release.h"
#include "services/notify/templates.h"

namespace accueil::notify {

struct SenderOptions {
  int threads = 4;
  int batch = 50;
  int max_attempts = 8;
  absl::Duration retry_base = absl::Seconds(30);
  absl::Duration retry_max = absl::Hours(1);
  absl::Duration lease = absl::Seconds(60);
  absl::Duration poll = absl::Seconds(1);
  // Outcomes are committed by windows of this many messages, or of what was
  // sent within record_delay: the most a crash can make a thread send
  // twice (docs/notify.md#guarantees-the-outbox).
  int record_window = 8;
  absl::Duration record_delay = absl::Milliseconds(50);
  // Links in messages: `<base>/rdv#REFERENCE-CODE`, `<base>/`.
  std::string public_base_url;
  // The Message-ID's and calendar UID's right-hand side.
  std::string domain = "accueil.invalid";
};

// A transport per channel ("email", "sms") for one thread; null: that
// channel has no provider.
using TransportFactory = std::function<std::unique_ptr<Transport>(const std::string& channel)>;

class Sender final : public Worker {
 public:
  // `access` (may be null) is worked at the start of every pass, `releases`
  // (may be null) at its end; `contacts` (may be null) holds the opt-outs
  // and bounces.
  Sender(const ServiceContext& context, const Templates* templates, BookingClient* booking,
         SenderOptions options, TransportFactory transports, AccessRequests* access = nullptr,
         const Contacts* contacts = nullptr, Releases* releases = nullptr);
  ~Sender() override;

  std::string_view name() const override { return "notify_sender"; }
  void Start() override;
  void Stop() override;
  bool Healthy() const override { return healthy_.load(); }
  // Wake makes every idle thread claim now.
  void Wake();

 private:
  struct Claimed;
  struct Result;
  void Run(int thread);
  bool TakeSideWork();
  // Pass claims, sends and records one batch; the number claimed, or an error.
  absl::StatusOr<int> Pass(std::map<std::string, std::unique_ptr<Transport>>& transports);
  absl::StatusOr<int> SendDue(std::map<std::string, std::unique_ptr<Transport>>& transports,
                              absl::Time now);
  // A desk's own notice texts, by "desk/template/language.channel".
  using OwnTexts = std::map<std::string, std::string>;
  Result SendOne(const Claimed& m, const bv1::Appointment* appointment, const ContactFlags& contact,
                 const OwnTexts& own_texts,
                 std::map<std::string, std::unique_ptr<Transport>>& transports, const Call& call,
                 absl::Time now);
  // Record commits one message's outcome and attempt (a dead letter once
  // out of attempts).
  // A claimed message and what became of it, waiting to be recorded.
  using Unrecorded = std::pair<const Claimed*, Result>;
  // Record commits a window's outcomes and attempts in one transaction.
  absl::Status Record(std::vector<Unrecorded>& window);
  absl::Duration Backoff(int attempt);

  const ServiceContext ctx_;
  AccessRequests* access_;
  const Contacts* contacts_;
  Releases* releases_;
  const Templates* templates_;
  BookingClient* booking_;
  const SenderOptions options_;
  TransportFactory transports_;
  std::atomic<bool> healthy_{true};
  // When the lost-access requests and attendance deadlines are next looked
  // at (TakeSideWork: one thread at a time; Wake makes it now).
  absl::Time side_work_due_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t wakes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace accueil::notify
