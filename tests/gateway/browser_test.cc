// The public pages in a real browser: this test starts the server (every
// module, the gateway, a desk open on 2026-06-02) and runs
// tests/web/journey.mjs, which drives Debian's Chromium through the pages
// with playwright-core in French, English and Arabic (and two people on one
// slot, the second told clearly), checks every page with
// axe-core (WCAG 2.1 AA: zero violations) and saves screenshots at phone and
// desktop widths in build/web-screenshots/ (docs/web.md shows them).
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

// NodeMajor: the major version of `node` on the PATH, 0 without.
int NodeMajor() {
  FILE* pipe = popen("node --version 2>/dev/null", "r");
  if (pipe == nullptr) return 0;
  char buffer[64] = {};
  const bool read = std::fgets(buffer, sizeof buffer, pipe) != nullptr;
  pclose(pipe);
  int major = 0;
  if (read && buffer[0] == 'v') major = std::atoi(buffer + 1);
  return major;
}

TEST(Browser, ThePublicPagesInChromiumPassAxeInEveryLanguage) {
  const int node = NodeMajor();
  ASSERT_GE(node, 18) << "playwright-core 1.61 runs on Node.js 18 and later";
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  ASSERT_FALSE(open.slots.empty());
  const std::string base =
      absl::StrCat("http://127.0.0.1:", world.server().port_of("gateway_listen"));
  const std::string desk =
      absl::StrCat("/rdv/", IdOf(open.site.name()), "/", IdOf(open.desk.name()));
  const std::string command = absl::StrCat(
      "NODE_PATH=", ACCUEIL_BUILD_DIR, "/web/node_modules node ", ACCUEIL_SOURCE_DIR,
      "/tests/web/journey.mjs ", base, " ", desk, " ", ACCUEIL_BUILD_DIR, "/web-screenshots");
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << command;
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE status = 'cancelled'"),
            3)
      << "one booking per language, each cancelled from the manage page";
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE status = 'booked'"), 1)
      << "of two people on one slot, one booked";
}

}  // namespace
}  // namespace accueil::testing
