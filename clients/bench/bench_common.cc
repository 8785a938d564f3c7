#include "clients/bench/bench_common.h"

#include <errno.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace accueil::bench {

namespace v1 = ::accueil::booking::v1;

namespace {

const absl::Duration kSetupTimeout = absl::Seconds(60);

void SetDate(absl::CivilDay day, google::type::Date* date) {
  date->set_year(static_cast<int>(day.year()));
  date->set_month(day.month());
  date->set_day(day.day());
}

}  // namespace

void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

Flags::Flags(int argc, char** argv, std::vector<std::string> switches, const char* usage)
    : argc_(argc), argv_(argv), switches_(std::move(switches)), usage_(usage) {}

bool Flags::Next() {
  if (next_ >= argc_) return false;
  name_ = argv_[next_++];
  value_.clear();
  if (name_ == "--help" || name_ == "-h") Usage(0);
  if (size_t eq = name_.find('='); name_.rfind("--", 0) == 0 && eq != std::string::npos) {
    value_ = name_.substr(eq + 1);
    name_ = name_.substr(0, eq);
  } else if (std::find(switches_.begin(), switches_.end(), name_) == switches_.end()) {
    if (next_ >= argc_) Usage(2);
    value_ = argv_[next_++];
  }
  return true;
}

void Flags::Usage(int code) const {
  std::fputs(usage_, code == 0 ? stdout : stderr);
  std::exit(code);
}

int Flags::Number(int min, int max) const {
  int n = 0;
  if (!absl::SimpleAtoi(value_, &n) || n < min || n > max) {
    Die(absl::StrCat(name_, ": expected an integer in [", min, ", ", max, "], got \"", value_,
                     "\""));
  }
  return n;
}

std::string Reason(const grpc::Status& status) {
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) return info.reason();
    }
  }
  return "-";
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", static_cast<int>(status.error_code()), " ", Reason(status), ": ",
                      status.error_message());
}

std::string CodeAndReason(const grpc::Status& status) {
  return absl::StrCat(static_cast<int>(status.error_code()), " ", Reason(status));
}

std::mt19937_64 SeededRng() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  return std::mt19937_64(seed);
}

std::string RandomHex(std::mt19937_64& rng, int bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  uint64_t word = 0;
  for (int i = 0; i < 2 * bytes; ++i) {
    if (i % 16 == 0) word = rng();
    out += kHex[word & 15];
    word >>= 4;
  }
  return out;
}

std::string ReadToken(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) Die(absl::StrCat("cannot read the token file ", path));
  std::string token;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) token.append(buffer, n);
  std::fclose(f);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
    token.erase(0, 1);
  }
  if (token.empty()) Die(absl::StrCat("the token file ", path, " is empty"));
  return token;
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout, const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoSeconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& server) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
}

// +336 then a digit libphonenumber accepts after 6 (0-2, 4-8), then 7 digits.
std::string Phone(uint64_t n) {
  static const char kSecond[] = "01245678";
  return absl::StrFormat("+336%c%07d", kSecond[(n / 10000000) % 8], static_cast<int>(n % 10000000));
}

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint32_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

Desk CreateOpenDesk(v1::BookingService::Stub& stub, const std::string& token,
                    const std::string& time_zone, int slot_minutes, int capacity) {
  std::mt19937_64 rng = SeededRng();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(time_zone, &zone)) {
    Die(absl::StrCat("cannot load time zone ", time_zone, " (is tzdata installed?)"));
  }
  std::string tag = absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone());
  v1::CreateSiteRequest req;
  req.mutable_site()->set_display_name(absl::StrCat("Préfecture bench ", tag, " ", rng() % 10000));
  req.mutable_site()->set_address("1 place de la Préfecture");
  req.mutable_site()->set_time_zone(time_zone);
  req.set_request_id(RandomHex(rng, 16));
  v1::Site site;
  if (grpc::Status s = stub.CreateSite(Context(kSetupTimeout, token).get(), req, &site); !s.ok()) {
    Die("CreateSite: " + Describe(s));
  }
  return AddOpenDesk(stub, token, site.name(), zone, slot_minutes, capacity);
}

Desk AddOpenDesk(v1::BookingService::Stub& stub, const std::string& token, const std::string& site,
                 absl::TimeZone zone, int slot_minutes, int capacity) {
  std::mt19937_64 rng = SeededRng();
  Desk out;
  out.site = site;
  out.zone = zone;
  v1::CreateDeskRequest desk_req;
  desk_req.set_parent(site);
  desk_req.mutable_desk()->set_display_name(absl::StrCat("Guichet bench ", RandomHex(rng, 4)));
  desk_req.mutable_desk()->set_kind(v1::RESIDENCE_PERMIT_RENEWAL);
  desk_req.mutable_desk()->mutable_slot_duration()->set_seconds(slot_minutes * 60);
  desk_req.mutable_desk()->set_capacity_per_slot(capacity);
  desk_req.set_request_id(RandomHex(rng, 16));
  v1::Desk desk;
  if (grpc::Status s = stub.CreateDesk(Context(kSetupTimeout, token).get(), desk_req, &desk);
      !s.ok()) {
    Die("CreateDesk: " + Describe(s));
  }
  out.desk = desk.name();

  v1::SetOpeningHoursRequest hours_req;
  hours_req.mutable_opening_hours()->set_desk(desk.name());
  for (int day = 1; day <= 7; ++day) {
    v1::WeeklyRange* range = hours_req.mutable_opening_hours()->add_weekly();
    range->set_iso_weekday(day);
    range->set_start_minute(0);
    range->set_end_minute(24 * 60);
  }
  hours_req.set_request_id(RandomHex(rng, 16));
  v1::OpeningHours hours;
  if (grpc::Status s = stub.SetOpeningHours(Context(kSetupTimeout, token).get(), hours_req, &hours);
      !s.ok()) {
    Die("SetOpeningHours: " + Describe(s));
  }
  return out;
}

Released ReleaseSlots(v1::BookingService::Stub& stub, const std::string& token, const Desk& desk,
                      absl::CivilDay first, absl::CivilDay last, absl::Time from) {
  std::mt19937_64 rng = SeededRng();
  Released out;
  v1::ReleaseSlotsRequest release_req;
  release_req.set_desk(desk.desk);
  SetDate(first, release_req.mutable_start_date());
  SetDate(last, release_req.mutable_end_date());
  release_req.set_request_id(RandomHex(rng, 16));
  v1::ReleaseSlotsResponse released;
  if (grpc::Status s =
          stub.ReleaseSlots(Context(kSetupTimeout, token).get(), release_req, &released);
      !s.ok()) {
    Die("ReleaseSlots: " + Describe(s));
  }
  out.created = released.created_slot_count();

  v1::ListSlotsRequest list_req;
  list_req.set_desk(desk.desk);
  list_req.mutable_start_time()->set_seconds(absl::ToUnixSeconds(from));
  list_req.mutable_end_time()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(last + 2, desk.zone)));
  list_req.set_page_size(500);
  for (;;) {
    v1::ListSlotsResponse page;
    if (grpc::Status s = stub.ListSlots(Context(kSetupTimeout, token).get(), list_req, &page);
        !s.ok()) {
      Die("ListSlots: " + Describe(s));
    }
    for (const v1::Slot& slot : page.slots()) out.slots.push_back(slot);
    if (page.next_page_token().empty()) break;
    list_req.set_page_token(page.next_page_token());
  }
  return out;
}

}  // namespace accueil::bench
