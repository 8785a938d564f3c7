#include "services/notify/sender.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/ics.h"
#include "services/notify/outcomes.h"
#include "services/notify/schedule.h"
#include "services/notify/tokens.h"

namespace accueil::notify {

struct Sender::Claimed {
  int64_t id = 0, appointment = 0, site = 0, desk = 0;
  std::string templ, channel;
  absl::Time start;
  int attempt = 0;
  std::optional<absl::Time> respond_by;  // attendance requests
};

// What became of one claimed message.
struct Sender::Result {
  std::string state;    // pending (retry, or out of the quiet hours), accepted, failed, dropped
  std::string outcome;  // the attempt's: accepted, retry, failed, dropped; "" for none
  std::string reason, detail, language;
  std::optional<absl::Time> due;  // pending: when it is tried again
  absl::Time started, finished;
  // The contact's bounce flag (contacts.h): set after a refusal, cleared
  // after an e-mail went through.
  std::string contact;
  enum { kKeep, kSetBounce, kClearBounce } bounce = kKeep;
  std::string time_zone;  // the site's, once known
};

namespace {

// Messages about what the person asked for (or was told) go whatever the
// time; those about the appointment still to come only while it is.
bool AboutComingAppointment(const std::string& templ) {
  return templ == "confirmation" || templ == "reminder" || templ == "move" ||
         templ == "convocation" || templ == "documents_missing" || templ == "access" ||
         templ == "attendance";
}

// An attendance request is not sent later than this before its deadline.
constexpr absl::Duration kAnswerTime = absl::Hours(6);

// Messages nobody asked for right then: never in the quiet hours, also when
// a retry brings them there.
bool QuietHoursApply(const std::string& templ) {
  return templ == "reminder" || templ == "noshow" || templ == "closure" || templ == "survey" ||
         templ == "attendance";
}

// What the person can stop (opt-out); the rest answers their own action, or
// cancels their visit, or asks them to confirm it.
bool OptOutApplies(const std::string& templ) {
  return templ == "reminder" || templ == "noshow" || templ == "convocation" ||
         templ == "documents_missing" || templ == "permit_ready" || templ == "survey";
}

// The e-mails that carry the appointment for the calendar: PUBLISH for
// those that give its time, CANCEL for those that take it away.
bool WithCalendar(const std::string& templ) {
  return templ == "confirmation" || templ == "move" || templ == "convocation" ||
         templ == "cancellation" || templ == "closure";
}

const bv1::DeskInstructions* Instructions(const bv1::Desk& desk, const std::string& language) {
  const bv1::DeskInstructions* fallback = nullptr;
  for (const bv1::DeskInstructions& i : desk.instructions()) {
    if (i.language() == language) return &i;
    if (i.language() == "fr" || fallback == nullptr) fallback = &i;
  }
  return fallback;
}

}  // namespace

Sender::Sender(const ServiceContext& context, const Templates* templates, BookingClient* booking,
               SenderOptions options, TransportFactory transports, AccessRequests* access,
               const Contacts* contacts, Releases* releases)
    : ctx_(context),
      access_(access),
      contacts_(contacts),
      releases_(releases),
      templates_(templates),
      booking_(booking),
      options_(std::move(options)),
      transports_(std::move(transports)) {
  db::Pool& pool = *ctx_.pool;
  pool.Prepare("notify_claim",
               "UPDATE notify.messages m SET state = 'sending', lease_until = $2::timestamptz, "
               "attempts = m.attempts + 1, update_time = $1::timestamptz "
               "WHERE m.id IN (SELECT id FROM notify.messages "
               "  WHERE (state = 'pending' AND due_time <= $1::timestamptz) "
               "     OR (state = 'sending' AND lease_until < $1::timestamptz) "
               "  ORDER BY due_time LIMIT $3 FOR UPDATE SKIP LOCKED) "
               "RETURNING m.id, m.appointment_id, m.site_id, m.desk_id, m.template, m.channel, " +
                   db::Micros("m.start_time") + " AS start_micros, m.attempts, " +
                   db::Micros("m.respond_by") + " AS respond_micros");
  pool.Prepare("notify_own_notice_texts",
               "SELECT desk_id, template, language, channel, body FROM notify.notice_texts "
               "WHERE desk_id = ANY($1::bigint[])");
  pool.Prepare("notify_confirm_thresholds",
               "SELECT desk_id, confirm_after_noshows FROM notify.desk_settings "
               "WHERE desk_id = ANY($1::bigint[]) AND confirm_after_noshows IS NOT NULL");
  pool.Prepare("notify_record",
               "UPDATE notify.messages SET state = $2, lease_until = NULL, "
               "reason = NULLIF($3, ''), language = coalesce(NULLIF($4, ''), language), "
               "due_time = coalesce($5::timestamptz, due_time), "
               "attempts = attempts - $6::integer, update_time = $7::timestamptz "
               "WHERE id = $1 AND state = 'sending' AND attempts = $8");
  pool.Prepare("notify_attempt",
               "INSERT INTO notify.attempts (message_id, attempt, start_time, finish_time, "
               "outcome, detail) VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5, $6) "
               "ON CONFLICT DO NOTHING");
}

Sender::~Sender() { Stop(); }

void Sender::Start() {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Run(i); });
}

void Sender::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Sender::Wake() {
  absl::MutexLock lock(&mu_);
  ++wakes_;
  side_work_due_ = absl::InfinitePast();
}

bool Sender::TakeSideWork() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();  // pacing, not the business clock
  if (now < side_work_due_) return false;
  side_work_due_ = now + options_.poll;
  return true;
}

void Sender::Run(int thread) {
  std::map<std::string, std::unique_ptr<Transport>> transports;
  for (const char* channel : {"email", "sms"}) {
    if (auto t = transports_(channel)) transports[channel] = std::move(t);
  }
  int64_t seen = 0;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      seen = wakes_;
    }
    absl::StatusOr<int> claimed = Pass(transports);
    if (!claimed.ok()) {
      if (healthy_.exchange(false)) {
        log::Warn("notify_sender.failed",
                  {{"thread", absl::StrCat(thread)}, {"reason", ErrorReason(claimed.status())}});
      }
    } else if (!healthy_.exchange(true)) {
      log::Info("notify_sender.recovered", {{"thread", absl::StrCat(thread)}});
    }
    // A full batch: there may be more at once.
    if (claimed.ok() && *claimed >= options_.batch) continue;
    absl::MutexLock lock(&mu_);
    auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || wakes_ != seen; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), options_.poll);
  }
}

absl::Duration Sender::Backoff(int attempt) {
  absl::Duration d = options_.retry_base;
  for (int i = 1; i < attempt && d < options_.retry_max; ++i) d *= 2;
  d = std::min(d, options_.retry_max);
  // Jitter: between half and all of it, so that retries after an outage
  // do not all come back at once.
  thread_local absl::BitGen bits;
  return d * absl::Uniform(bits, 0.5, 1.0);
}

absl::StatusOr<int> Sender::Pass(std::map<std::string, std::unique_ptr<Transport>>& transports) {
  const absl::Time now = ctx_.clock->Now();
  // Lost-access requests first: their messages are due at once. Booking
  // unreachable keeps them queued, and the pass goes on with the rest.
  // They are rare: one thread of the process looks, once a poll interval
  // or when woken (a request queued here), not every thread every pass.
  const bool side_work = TakeSideWork();
  absl::StatusOr<int> access = 0, released = 0;
  if (access_ != nullptr && side_work) access = access_->Work(now);
  absl::StatusOr<int> sent = SendDue(transports, now);
  // Attendance deadlines reached: confirmed, or released.
  if (releases_ != nullptr && side_work) released = releases_->Work(now);
  // A full batch: there may be more at once.
  if ((access.ok() && *access >= AccessRequests::kBatch) ||
      (released.ok() && *released >= Releases::kBatch)) {
    Wake();
  }
  if (!access.ok()) return access.status();
  if (!released.ok()) return released.status();
  return sent;
}

absl::StatusOr<int> Sender::SendDue(std::map<std::string, std::unique_ptr<Transport>>& transports,
                                    absl::Time now) {
  std::vector<Claimed> claimed;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    claimed.clear();
    pqxx::work tx(c);
    for (const pqxx::row& r : tx.exec_prepared("notify_claim", db::SqlTime(now),
                                               db::SqlTime(now + options_.lease), options_.batch)) {
      claimed.push_back(
          {r["id"].as<int64_t>(), r["appointment_id"].as<int64_t>(), r["site_id"].as<int64_t>(),
           r["desk_id"].as<int64_t>(), r["template"].as<std::string>(),
           r["channel"].as<std::string>(), absl::FromUnixMicros(r["start_micros"].as<int64_t>()),
           r["attempts"].as<int>(),
           r["respond_micros"].is_null() ? std::nullopt
                                         : std::optional<absl::Time>(absl::FromUnixMicros(
                                               r["respond_micros"].as<int64_t>()))});
    }
    tx.commit();  // the leases, before anything is sent
    return absl::OkStatus();
  }));
  if (claimed.empty()) return 0;
  std::set<int64_t> unique, attendance_desks, notice_desks;
  for (const Claimed& m : claimed) {
    unique.insert(m.appointment);
    if (m.templ == "attendance") attendance_desks.insert(m.desk);
    if (IsNotice(m.templ)) notice_desks.insert(m.desk);
  }
  // The desks' own texts of the agents' notices in the batch, if any.
  OwnTexts own_texts;
  if (!notice_desks.empty()) {
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      own_texts.clear();
      for (const pqxx::row& r :
           tx.exec_prepared("notify_own_notice_texts",
                            absl::StrCat("{", absl::StrJoin(notice_desks, ","), "}"))) {
        own_texts[absl::StrCat(r["desk_id"].as<int64_t>(), "/", r["template"].as<std::string>(),
                               "/", r["language"].as<std::string>(), ".",
                               r["channel"].as<std::string>())] = r["body"].as<std::string>();
      }
      return absl::OkStatus();
    }));
  }
  const Call call = ctx_.gate->WorkerCall(
      absl::StrCat("notify-send-", claimed.front().id, "-", claimed.front().attempt));
  // An attendance request goes only to people with the desk's number of
  // no-shows: booking counts them, for such batches only.
  std::map<int64_t, int> noshows;
  absl::StatusOr<std::map<int64_t, bv1::Appointment>> contacts =
      booking_->Contacts(call, std::vector<int64_t>(unique.begin(), unique.end()),
                         attendance_desks.empty() ? nullptr : &noshows);
  std::map<int64_t, int> thresholds;  // desk -> confirm_after_noshows
  if (!attendance_desks.empty()) {
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      for (const pqxx::row& r :
           tx.exec_prepared("notify_confirm_thresholds",
                            absl::StrCat("{", absl::StrJoin(attendance_desks, ","), "}"))) {
        thresholds[r[0].as<int64_t>()] = r[1].as<int>();
      }
      return absl::OkStatus();
    }));
  }
  // The contacts' flags (opt-out, bounce), the whole batch in one statement.
  std::map<Contacts::Key, ContactFlags> flags;
  if (contacts.ok() && contacts_ != nullptr) {
    std::vector<Contacts::Key> asked;
    for (const Claimed& m : claimed) {
      auto it = contacts->find(m.appointment);
      if (it == contacts->end()) continue;
      const bv1::Person& p = it->second.person();
      const std::string& to = ContactOn(p, m.channel);
      if (!to.empty()) asked.push_back({to, m.channel});
    }
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      flags = contacts_->Read(tx, asked);
      return absl::OkStatus();
    }));
  }
  // Outcomes are recorded in small windows: at most `record_window`
  // messages, or what `record_delay` saw sent, per transaction. A crash can
  // repeat only the messages whose outcome was not yet committed (at most a
  // window per thread); a commit per message would cost a durable commit
  // each.
  std::vector<Unrecorded> window;
  absl::Time opened;
  auto flush = [&]() -> absl::Status {
    if (window.empty()) return absl::OkStatus();
    absl::Status s = Record(window);
    window.clear();
    return s;
  };
  for (const Claimed& m : claimed) {
    if (!window.empty() && ctx_.clock->Now() - opened >= options_.record_delay) {
      RETURN_IF_ERROR(flush());
    }
    Result r;
    if (!contacts.ok()) {
      // Booking unreachable: the whole batch waits (not the provider's fault,
      // but an attempt all the same, so that an outage ends in a dead letter).
      r.started = r.finished = ctx_.clock->Now();
      r.state = "pending";
      r.outcome = "retry";
      r.detail = Shorten(absl::StrCat("booking: ", contacts.status().message()));
      r.due = now + Backoff(m.attempt);
    } else {
      auto it = contacts->find(m.appointment);
      const bv1::Appointment* a = it == contacts->end() ? nullptr : &it->second;
      ContactFlags contact;
      if (a != nullptr) {
        auto f = flags.find({ContactOn(a->person(), m.channel), m.channel});
        if (f != flags.end()) contact = f->second;
      }
      auto threshold = thresholds.find(m.desk);
      auto count = noshows.find(m.appointment);
      if (m.templ == "attendance" && a != nullptr &&
          (threshold == thresholds.end() || count == noshows.end() ||
           count->second < threshold->second)) {
        r.started = r.finished = ctx_.clock->Now();
        r.state = r.outcome = "dropped";
        r.reason = "NOT_REQUIRED";  // fewer no-shows than the desk's rule (now)
      } else {
        r = SendOne(m, a, contact, own_texts, transports, call, ctx_.clock->Now());
      }
    }
    if (window.empty()) opened = r.started;
    window.push_back({&m, std::move(r)});
    if (static_cast<int>(window.size()) >= options_.record_window) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  return static_cast<int>(claimed.size());
}

absl::Status Sender::Record(std::vector<Unrecorded>& window) {
  for (auto& [m, r] : window) {
    // Out of attempts: a dead letter, with the last reason.
    if (r.state == "pending" && r.outcome == "retry" && m->attempt >= options_.max_attempts) {
      r.state = "failed";
      r.reason = "RETRIES_EXHAUSTED";
      r.due.reset();
    }
  }
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    for (const auto& [mp, r] : window) {
      const Claimed& m = *mp;
      // Put off without an attempt (quiet hours): the claim's count undone.
      const int uncount = r.outcome.empty() ? 1 : 0;
      // No row: the lease ran out and another sender took the message over
      // (or a report moved it): the attempt is still recorded, but its
      // outcome is not this thread's to announce.
      const bool current =
          tx.exec_prepared(
                "notify_record", m.id, r.state, r.reason, r.language,
                r.due.has_value() ? std::optional<std::string>(db::SqlTime(*r.due)) : std::nullopt,
                uncount, db::SqlTime(r.finished), m.attempt)
              .affected_rows() > 0;
      if (!r.outcome.empty()) {
        tx.exec_prepared("notify_attempt", m.id, m.attempt, db::SqlTime(r.started),
                         db::SqlTime(r.finished), r.outcome, r.detail);
      }
      if (!current) continue;
      // The outcome for the metrics: an e-mail the mail server took, or any
      // failure (an SMS's delivery comes with its report).
      if ((r.state == "accepted" && m.channel == "email") || r.state == "failed") {
        AppendOutcome(tx, {m.id, m.appointment, m.site, m.desk, m.templ, m.channel, r.time_zone},
                      r.state == "failed" ? "failed" : "delivered", r.reason, r.finished);
      }
      if (contacts_ != nullptr && r.bounce == Result::kSetBounce) {
        contacts_->SetBounce(tx, {r.contact, m.channel}, r.reason, r.finished);
      } else if (contacts_ != nullptr && r.bounce == Result::kClearBounce) {
        contacts_->ClearBounce(tx, {r.contact, m.channel}, r.finished);
      }
    }
    tx.commit();
    return absl::OkStatus();
  }));
  for (const auto& [m, r] : window) {
    if (r.state == "accepted") continue;
    log::Info("notify.message", {{"message", absl::StrCat(m->id)},
                                 {"template", m->templ},
                                 {"channel", m->channel},
                                 {"state", r.state},
                                 {"reason", r.reason},
                                 {"attempt", absl::StrCat(m->attempt)}});
  }
  return absl::OkStatus();
}

Sender::Result Sender::SendOne(const Claimed& m, const bv1::Appointment* a,
                               const ContactFlags& contact, const OwnTexts& own_texts,
                               std::map<std::string, std::unique_ptr<Transport>>& transports,
                               const Call& call, absl::Time now) {
  Result r;
  r.started = ctx_.clock->Now();
  auto drop = [&](const char* reason, std::string detail = "") {
    r.state = "dropped";
    r.outcome = "dropped";
    r.reason = reason;
    r.detail = std::move(detail);
    r.finished = ctx_.clock->Now();
    return r;
  };
  if (a == nullptr) return drop("NOT_FOUND");
  const std::string to = ContactOn(a->person(), m.channel);
  if (to.empty()) return drop("NO_CONTACT");
  if (contact.opted_out && OptOutApplies(m.templ)) return drop("OPTED_OUT");
  r.contact = to;
  auto transport = transports.find(m.channel);
  if (transport == transports.end()) return drop("NO_PROVIDER");
  const absl::Time start = FromProto(a->start_time());
  if (AboutComingAppointment(m.templ)) {
    // Checked now, at the moment of sending, not when it was decided.
    if (a->status() != bv1::BOOKED) return drop("NOT_BOOKED");
    if (start <= now) return drop("APPOINTMENT_STARTED");
    if (start != m.start) return drop("MOVED");
  }
  // An attendance request leaves the person time to answer, or goes not at
  // all (the release would otherwise follow a request read too late).
  if (m.respond_by.has_value() && *m.respond_by - kAnswerTime <= now) return drop("TOO_LATE");
  absl::StatusOr<bv1::Site> site = booking_->Site(call, m.site);
  absl::StatusOr<bv1::Desk> desk = booking_->Desk(call, m.site, m.desk);
  absl::TimeZone zone;
  if (!site.ok() || !desk.ok() || !absl::LoadTimeZone(site->time_zone(), &zone)) {
    r.state = "pending";
    r.outcome = "retry";
    r.detail =
        Shorten(absl::StrCat("booking: ", !site.ok()   ? site.status().message()
                                          : !desk.ok() ? desk.status().message()
                                                       : "the site's time zone cannot be loaded"));
    r.due = now + Backoff(m.attempt);
    r.finished = ctx_.clock->Now();
    return r;
  }
  r.time_zone = site->time_zone();
  if (QuietHoursApply(m.templ) && InQuietHours(now, zone)) {
    // Late (the provider was down, the server stopped): the end of the quiet
    // hours if still in time (before the start, the answer's deadline, a
    // week), else never.
    const absl::Time deadline = m.templ == "attendance" ? *m.respond_by - kAnswerTime
                                : AboutComingAppointment(m.templ) || m.templ == "closure"
                                    ? start
                                    : now + absl::Hours(24 * 7);
    std::optional<absl::Time> later = OutOfQuietHours(now, now, deadline, zone);
    if (!later.has_value()) return drop("TOO_LATE");
    r.state = "pending";
    r.due = *later;
    r.finished = ctx_.clock->Now();
    return r;
  }
  const std::string language =
      a->person().preferred_language().empty() ? "fr" : a->person().preferred_language();
  MessageFacts facts;
  facts.given_name = a->person().given_name();
  facts.family_name = a->person().family_name();
  facts.site = site->display_name();
  facts.address = site->address();
  facts.desk = desk->display_name();
  facts.start = start;
  facts.zone = zone;
  facts.reference = a->reference();
  facts.access_code = a->access_code();
  if (const bv1::DeskInstructions* i = Instructions(*desk, language)) {
    facts.documents.assign(i->documents().begin(), i->documents().end());
    facts.instructions = i->instructions();
  }
  facts.manage_url =
      absl::StrCat(options_.public_base_url, "/rdv#", a->reference(), "-", a->access_code());
  facts.book_url = absl::StrCat(options_.public_base_url, "/");
  if (m.templ == "attendance") {
    facts.confirm_url = absl::StrCat(options_.public_base_url, "/confirmer#", m.id, "-",
                                     MessageToken(*ctx_.secrets, kAttendancePurpose, m.id));
    facts.respond_by = m.respond_by;
  }
  if (m.templ == "survey") {
    facts.survey_url = absl::StrCat(options_.public_base_url, "/enquete#", m.id, "-",
                                    MessageToken(*ctx_.secrets, kSurveyPurpose, m.id));
  }
  if (OptOutApplies(m.templ)) {
    facts.preferences_url = absl::StrCat(options_.public_base_url, "/preferences#", m.id, "-",
                                         MessageToken(*ctx_.secrets, kPreferencesPurpose, m.id));
  }
  // A notice in the desk's own words when it has them for the language
  // the message goes in.
  const std::string used = templates_->LanguageOf(m.templ, m.channel, language);
  auto own = own_texts.find(absl::StrCat(m.desk, "/", m.templ, "/", used, ".", m.channel));
  absl::StatusOr<Rendered> rendered =
      own != own_texts.end() ? Templates::RenderText(own->second, m.channel, used, facts)
                             : templates_->Render(m.templ, m.channel, language, facts);
  if (!rendered.ok()) {
    r.state = "failed";
    r.outcome = "failed";
    r.reason = "TEMPLATE_FAILED";
    r.detail = Shorten(rendered.status().message());
    r.finished = ctx_.clock->Now();
    return r;
  }
  r.language = rendered->language;
  Outgoing out;
  out.id = m.id;
  out.to = to;
  out.subject = rendered->subject;
  out.body = rendered->body;
  out.now = now;
  if (m.respond_by.has_value()) {
    out.expires = std::min(start, *m.respond_by - kAnswerTime);
  } else if (AboutComingAppointment(m.templ)) {
    out.expires = start;
  } else {
    out.expires = now + absl::Hours(24);
  }
  if (m.channel == "email" && WithCalendar(m.templ)) {
    CalendarEvent event =
        AppointmentEvent(*a, *site, *desk, facts.manage_url, options_.domain, now);
    event.cancelled = m.templ == "cancellation" || m.templ == "closure";
    out.ics = Calendar(event);
    out.ics_method = event.cancelled ? "CANCEL" : "PUBLISH";
  }
  const Outcome sent = transport->second->Send(out);
  r.finished = ctx_.clock->Now();
  r.detail = sent.detail;
  switch (sent.kind) {
    case Outcome::kAccepted:
      r.state = "accepted";
      r.outcome = "accepted";
      // An SMTP server that takes a message takes the address; an SMS
      // number waits for its delivery report (report_listener.h).
      if (m.channel == "email" && contact.bounce_time.has_value()) r.bounce = Result::kClearBounce;
      break;
    case Outcome::kFailed:
      r.state = "failed";
      r.outcome = "failed";
      r.reason = sent.reason.empty() ? "PROVIDER_REFUSED" : sent.reason;
      r.bounce = Result::kSetBounce;
      break;
    case Outcome::kRetry:
      r.state = "pending";
      r.outcome = "retry";
      r.reason = "PROVIDER_UNAVAILABLE";
      r.due = now + Backoff(m.attempt);
      break;
  }
  return r;
}

}  // namespace accueil::notify
