// The notify tests' world: booking and notify in one server with a real
// SMTP server (aiosmtpd) and, when asked, a real Kannel on loopback, the
// test's clock deciding what time it is.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "accueil/notify/v1/notify.grpc.pb.h"
#include "tests/booking/booking_fixture.h"
#include "tests/support/kannel_sink.h"
#include "tests/support/smtp_sink.h"

namespace accueil::testing {

namespace nv1 = ::accueil::notify::v1;
using booking::v1::Appointment;

// Tuesday 9 June 2026, 09:00-19:00 Paris: a week after the clock's start
// (Monday 1 June, 10:00 Paris), so that the reminders lie ahead.
inline DeskOptions NextWeek() {
  DeskOptions o;
  o.first = absl::CivilDay(2026, 6, 9);
  o.last = absl::CivilDay(2026, 6, 9);
  return o;
}

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override { smtp_ = SmtpSink::Start(); }

  void StartWorld(int retry_seconds = 60,
                  std::vector<std::pair<std::string, std::string>> more = {}) {
    TestServerOptions options;
    options.settings = {{"notify_smtp_url", smtp_->url()},
                        {"notify_mail_from", "ne-pas-repondre@pref.test"},
                        {"notify_public_base_url", "https://rdv.pref.test"},
                        {"notify_retry_base", absl::StrCat(retry_seconds)}};
    for (auto& kv : more) options.settings.push_back(std::move(kv));
    world_ = std::make_unique<BookingWorld>(std::move(options));
    desk_ = world_->OpenDesk(NextWeek());
    notify_ = nv1::NotifyService::NewStub(world_->server().Channel(world_->server().StaffToken()));
  }

  // With SMS through a real Kannel and delivery reports on loopback.
  void StartWorldWithSms(std::vector<std::pair<std::string, std::string>> more = {}) {
    kannel_ = KannelSink::Start();
    more.push_back({"notify_sms_url", kannel_->sendsms_url()});
    more.push_back({"notify_sms_user", KannelSink::kUser});
    more.push_back({"notify_sms_password", KannelSink::kPassword});
    bool listen_given = false;
    for (const auto& kv : more) listen_given |= kv.first == "notify_report_listen";
    if (!listen_given) more.push_back({"notify_report_listen", "127.0.0.1:0"});
    StartWorld(60, std::move(more));
  }

  // The appointment's message of `templ` on `channel`, waiting for `state`.
  nv1::Message AwaitOn(const Appointment& a, nv1::Template templ, nv1::Channel channel,
                       nv1::MessageState state) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    nv1::Message last;
    for (;;) {
      for (const nv1::Message& m : Messages(a)) {
        if (m.template_() == templ && m.channel() == channel) last = m;
      }
      if (last.state() == state || absl::Now() > deadline) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_EQ(last.state(), state) << last.DebugString();
    return last;
  }

  std::vector<nv1::Message> Messages(const Appointment& a) {
    nv1::ListMessagesRequest req;
    req.set_appointment(a.name());
    nv1::ListMessagesResponse resp;
    grpc::Status s = CallOn(*notify_, &nv1::NotifyService::Stub::ListMessages, req, &resp,
                            "the person calls about a message");
    // NOT_FOUND until the decider has read the booking.
    if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
      EXPECT_TRUE(RpcOk(s));
    }
    return {resp.messages().begin(), resp.messages().end()};
  }

  // The appointment's message of `templ`, waiting until it reaches `state`.
  nv1::Message AwaitMessage(const Appointment& a, nv1::Template templ, nv1::MessageState state) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    nv1::Message last;
    for (;;) {
      for (const nv1::Message& m : Messages(a)) {
        if (m.template_() == templ) last = m;
      }
      if (last.state() == state || absl::Now() > deadline) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_EQ(last.state(), state) << last.DebugString();
    return last;
  }

  Appointment Book(int slot, int person) {
    Appointment a;
    EXPECT_TRUE(RpcOk(world_->Book(desk_.slots[slot].name(), person, &a)));
    return a;
  }

  // The message and token of the link after `prefix` (".../enquete#") in
  // the mail to `to` whose subject starts with `subject`.
  std::pair<std::string, std::string> LinkIn(const std::string& to, const std::string& subject,
                                             const std::string& prefix) {
    const std::string link = smtp_->AwaitLink(to, subject, prefix);
    const size_t dash = link.find('-');
    if (dash == std::string::npos) return {};
    return {"messages/" + link.substr(0, dash), link.substr(dash + 1)};
  }

  // DeskAskingToConfirm: a desk open three Tuesdays (2, 9 and 16 June, 60
  // slots) that asks people with a no-show to confirm, 48 hours ahead;
  // persons 30 and 33 missed their appointment of 2 June (the clock is left
  // at 2 June 08:30 UTC).
  OpenedDesk DeskAskingToConfirm() {
    DeskOptions three_tuesdays;
    three_tuesdays.first = absl::CivilDay(2026, 6, 2);
    three_tuesdays.last = absl::CivilDay(2026, 6, 16);
    OpenedDesk desk = world_->OpenDesk(three_tuesdays);
    EXPECT_EQ(desk.slots.size(), 60u);
    nv1::UpdateDeskNotifySettingsRequest settings;
    settings.mutable_settings()->set_desk(desk.desk.name());
    settings.mutable_settings()->set_confirm_after_noshows(1);
    settings.mutable_settings()->mutable_confirm_before()->set_seconds(48 * 3600);
    nv1::DeskNotifySettings set;
    EXPECT_TRUE(RpcOk(
        CallOn(*notify_, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, settings, &set)));
    EXPECT_EQ(set.confirm_after_noshows(), 1);
    Appointment missed30, missed33, out;
    EXPECT_TRUE(RpcOk(world_->Book(desk.slots[0].name(), 30, &missed30)));
    EXPECT_TRUE(RpcOk(world_->Book(desk.slots[1].name(), 33, &missed33)));
    world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 2, 8, 30), absl::UTCTimeZone()));
    for (const Appointment* missed : {&missed30, &missed33}) {
      EXPECT_TRUE(RpcOk(world_->Transition(&booking::v1::BookingService::Stub::MarkNoShow,
                                           missed->name(), &out)));
    }
    return desk;
  }

  std::unique_ptr<SmtpSink> smtp_;
  std::unique_ptr<KannelSink> kannel_;
  std::unique_ptr<BookingWorld> world_;
  OpenedDesk desk_;
  std::unique_ptr<nv1::NotifyService::Stub> notify_;
};

}  // namespace accueil::testing
