// A sender killed mid-batch: the real accueil-server process, SIGKILLed
// while it hands confirmations to a real SMTP server, then started again on
// the same database. Nothing acknowledged is lost (every confirmation
// arrives), and the only messages that may arrive twice are those the
// killed process was handing over at that instant: at most one per sending
// thread, among those it had claimed (`sending`); the test counts them.
//
// The catalogue and the bookings are made by an in-process server whose
// notify has no provider (so no decider runs there): the external process
// alone decides and sends.
// (That process has its own key ring: the access codes its messages carry
// are not the in-process server's. The test counts messages, not codes.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/booking/booking_fixture.h"
#include "tests/support/smtp_sink.h"

namespace accueil::testing {
namespace {

// An accueil-server process on the test's database (every module, its own
// clock: the system's), until Kill or the end of the test.
class ServerProcess {
 public:
  ServerProcess(const std::string& database_url, const std::string& smtp_url,
                const std::string& dir)
      : log_(dir + "/server-" + absl::StrCat(++count_) + ".log") {
    const std::string key = dir + "/secret.key";
    if (::access(key.c_str(), F_OK) != 0) {
      std::ofstream(key) << "accueil-keys 1\n" << std::string(64, 'c') << "\n";
      chmod(key.c_str(), 0600);
    }
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = freopen(log_.c_str(), "w", stderr);
      (void)out;
      setenv("ACCUEIL_LISTEN", "127.0.0.1:0", 1);
      setenv("ACCUEIL_GATEWAY_LISTEN", "127.0.0.1:0", 1);
      setenv("ACCUEIL_DATABASE_URL", database_url.c_str(), 1);
      setenv("ACCUEIL_SECRET_KEY_FILE", key.c_str(), 1);
      setenv("ACCUEIL_MIGRATE_ON_START", "false", 1);
      setenv("ACCUEIL_NOTIFY_SMTP_URL", smtp_url.c_str(), 1);
      setenv("ACCUEIL_NOTIFY_LEASE", "3", 1);
      setenv("ACCUEIL_NOTIFY_SENDERS", "4", 1);
      setenv("ACCUEIL_NOTIFY_RECORD_WINDOW", "4", 1);
      execl(ACCUEIL_SERVER_BIN, "accueil-server", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ServerProcess() { Stop(SIGTERM); }

  void Stop(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  static inline int count_ = 0;
  std::string log_;
  pid_t pid_ = -1;
};

int64_t MessageNumber(const std::string& message_id) {
  // "<notify-ID@domain>"
  int64_t id = 0;
  const size_t dash = message_id.find('-'), at = message_id.find('@');
  if (dash == std::string::npos || at == std::string::npos) return 0;
  (void)absl::SimpleAtoi(message_id.substr(dash + 1, at - dash - 1), &id);
  return id;
}

TEST(NotifyCrash, ASenderKilledMidBatchLosesNothingAndRepeatsOnlyWhatWasInFlight) {
  constexpr int kPeople = 120;
  auto smtp = SmtpSink::Start();
  // Bookings a week ahead of now, every day open 08:00-20:00, 10-minute
  // slots of capacity 2.
  const absl::Time now = absl::Now();
  TestServerOptions options;
  options.now = now;
  BookingWorld world(std::move(options));
  absl::TimeZone paris;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &paris));
  DeskOptions desk;
  desk.slot_minutes = 10;
  desk.capacity = 2;
  desk.weekly.clear();
  for (int day = 1; day <= 7; ++day) desk.weekly.push_back(Range(day, 8, 0, 20, 0));
  desk.first = absl::ToCivilDay(now, paris) + 7;
  desk.last = desk.first;
  OpenedDesk open = world.OpenDesk(desk);
  ASSERT_GE(open.slots.size(), static_cast<size_t>(kPeople / 2));
  for (int i = 0; i < kPeople; ++i) {
    booking::v1::Appointment a;
    ASSERT_TRUE(RpcOk(world.Book(open.slots[i / 2].name(), 500 + i, &a)));
  }

  char pattern[] = "/tmp/accueil-crash-XXXXXX";
  const std::string dir = mkdtemp(pattern);
  const std::string url = world.server().database().url();
  auto first = std::make_unique<ServerProcess>(url, smtp->url(), dir);
  // Killed once some confirmations have gone, while others are in flight.
  smtp->WaitFor(kPeople / 4, absl::Seconds(60));
  first->Stop(SIGKILL);
  const int received_at_kill = static_cast<int>(smtp->Mails().size());
  std::set<int64_t> in_flight;
  for (absl::string_view id :
       absl::StrSplit(world.Query("SELECT string_agg(id::text, ',') FROM notify.messages "
                                  "WHERE state = 'sending'"),
                      ',', absl::SkipEmpty())) {
    int64_t n = 0;
    if (absl::SimpleAtoi(id, &n)) in_flight.insert(n);
  }
  EXPECT_LT(received_at_kill, kPeople) << "the kill came after everything was sent";

  // Started again: it finishes the work, the killed one's leases included.
  auto second = std::make_unique<ServerProcess>(url, smtp->url(), dir);
  std::vector<SmtpSink::Mail> mails = smtp->WaitFor(kPeople, absl::Seconds(90));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (world.QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'confirmation' "
                        "AND state <> 'accepted'") != 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  absl::SleepFor(absl::Seconds(1));
  mails = smtp->Mails();
  second.reset();

  std::map<int64_t, int> copies;
  for (const SmtpSink::Mail& m : mails) ++copies[MessageNumber(m.message_id)];
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'confirmation' "
                           "AND state = 'accepted'"),
            kPeople);
  EXPECT_EQ(static_cast<int>(copies.size()), kPeople) << "every confirmation arrived";
  int duplicates = 0;
  for (const auto& [id, n] : copies) {
    EXPECT_LE(n, 2) << "message " << id;
    if (n > 1) {
      ++duplicates;
      EXPECT_TRUE(in_flight.count(id) == 1)
          << "message " << id << " went twice but was not in flight";
    }
  }
  // The figures of this run, for the record.
  std::cout << "killed after " << received_at_kill << " of " << kPeople << " mails; "
            << in_flight.size() << " messages in flight; " << duplicates << " sent twice\n";
  // At most the window each of the 4 sending threads had sent and not yet
  // recorded (notify_record_window 4).
  EXPECT_LE(duplicates, 4 * 4);
}

}  // namespace
}  // namespace accueil::testing
