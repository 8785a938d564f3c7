// WatchQueue against a real PostgreSQL: the state first, then every change
// numbered and in order to every watcher, on either of two replicas; a watcher reconnecting starts
// from the state again; a lost notification connection resends the state; kiosk and display devices
// watch with device tokens, and a revoked one is cut off.
#include <thread>

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

namespace av1 = ::accueil::access::v1;

// Watcher reads one WatchQueue stream on its own thread.
class Watcher {
 public:
  Watcher(rv1::ReceptionService::Stub& stub, const std::string& site) {
    rv1::WatchQueueRequest req;
    req.set_site(site);
    reader_ = stub.WatchQueue(&context_, req);
    thread_ = std::thread([this] {
      rv1::QueueUpdate update;
      while (reader_->Read(&update)) {
        absl::MutexLock lock(&mu_);
        if (!update.keep_alive()) updates_.push_back(update);
      }
      absl::MutexLock lock(&mu_);
      status_ = reader_->Finish();
      ended_ = true;
    });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }

  // WaitFor waits (up to 30 s) until `done` holds for what was received.
  bool WaitFor(const std::function<bool(const std::vector<rv1::QueueUpdate>&)>& done) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(updates_) || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
    return done(updates_);
  }
  bool WaitForCount(size_t n) {
    return WaitFor([n](const auto& u) { return u.size() >= n; });
  }
  std::vector<rv1::QueueUpdate> updates() {
    absl::MutexLock lock(&mu_);
    return updates_;
  }
  // Ended waits (up to 30 s) for the stream's end and returns its status.
  grpc::Status Ended() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&ended_), absl::Seconds(30));
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<rv1::QueueUpdate>> reader_;
  absl::Mutex mu_;
  std::vector<rv1::QueueUpdate> updates_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// The calls ("A-001 -> Guichet 1") in what a watcher received, in order.
std::vector<std::string> Calls(const std::vector<rv1::QueueUpdate>& updates) {
  std::vector<std::string> out;
  for (const rv1::QueueUpdate& u : updates) {
    if (u.has_change() && u.change().kind() == "visit.called") {
      out.push_back(absl::StrCat(u.change().ticket(), " -> ", u.change().counter_display_name()));
    }
  }
  return out;
}

// Numbered checks that after each state the changes follow one by one.
::testing::AssertionResult Numbered(const std::vector<rv1::QueueUpdate>& updates) {
  int64_t last = -1;
  for (const rv1::QueueUpdate& u : updates) {
    if (u.has_state()) {
      if (u.state().sequence() != u.sequence()) {
        return ::testing::AssertionFailure() << "state numbered " << u.sequence();
      }
    } else if (last < 0 || u.sequence() != last + 1) {
      return ::testing::AssertionFailure() << "change " << u.sequence() << " after " << last;
    }
    last = u.sequence();
  }
  return ::testing::AssertionSuccess();
}

TEST(QueueWatch, WatchersOnTwoReplicasReceiveTheStateThenEveryCallInOrder) {
  ReceptionWorld world;
  // A second replica of the server on the same database: its watchers learn
  // the changes by NOTIFY, as those of the replica taking the calls do.
  const int replica = world.booking.server().StartReplica();
  auto replica_lodge = rv1::ReceptionService::NewStub(world.booking.server().ReplicaChannel(
      replica, world.booking.server().Token("lodge-2", {{access::v1::LODGE_AGENT, 0}})));
  for (int i = 0; i < 3; ++i) {
    rv1::Visit v;
    ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[i].reference(), &v)));
  }
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  Watcher display(world.lodge(), world.desk.site.name());
  Watcher lodge(world.lodge(), world.desk.site.name());
  Watcher elsewhere(*replica_lodge, world.desk.site.name());
  ASSERT_TRUE(display.WaitForCount(1));
  ASSERT_TRUE(lodge.WaitForCount(1));
  ASSERT_TRUE(elsewhere.WaitForCount(1));
  EXPECT_EQ(elsewhere.updates()[0].state().visits_size(), 3);
  const rv1::QueueUpdate first = display.updates()[0];
  ASSERT_TRUE(first.has_state());
  EXPECT_EQ(first.state().visits_size(), 3);
  // Ticket numbers only: names never reach a watcher.
  EXPECT_EQ(first.DebugString().find("Camille"), std::string::npos);

  for (int i = 0; i < 3; ++i) {
    rv1::Visit called, started;
    rv1::FinishVisitResponse done;
    ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
    ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &started)));
    ASSERT_TRUE(RpcOk(world.Finish(started, rv1::SERVED, &done)));
  }
  const std::vector<std::string> expected = {"A-001 -> Guichet 1", "A-002 -> Guichet 1",
                                             "A-003 -> Guichet 1"};
  for (Watcher* w : {&display, &lodge, &elsewhere}) {
    // 3 x (called, started, finished) after the state.
    ASSERT_TRUE(w->WaitForCount(10));
    std::vector<rv1::QueueUpdate> got = w->updates();
    EXPECT_TRUE(Numbered(got));
    EXPECT_EQ(Calls(got), expected);
    const rv1::QueueChange& last = got.back().change();
    EXPECT_EQ(last.kind(), "visit.finished");
    ASSERT_EQ(last.desks_size(), 1);
    EXPECT_EQ(last.desks(0).waiting(), 0);
  }
  // One numbering per site, whichever replica a watcher is on.
  EXPECT_EQ(elsewhere.updates().back().sequence(), display.updates().back().sequence());
}

TEST(QueueWatch, AWatcherReconnectingStartsFromTheState) {
  ReceptionWorld world;
  rv1::Visit v;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &v)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  {
    Watcher before(world.lodge(), world.desk.site.name());
    ASSERT_TRUE(before.WaitForCount(1));
  }  // disconnected
  rv1::Visit called;
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));  // missed while away
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &v)));
  Watcher after(world.lodge(), world.desk.site.name());
  ASSERT_TRUE(after.WaitForCount(1));
  rv1::QueueState state = after.updates()[0].state();
  ASSERT_EQ(state.visits_size(), 2);
  int called_in_state = 0;
  for (const rv1::Visit& visit : state.visits()) called_in_state += visit.status() == rv1::CALLED;
  EXPECT_EQ(called_in_state, 1);
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::RecallVisitor, called, &called)));
  ASSERT_TRUE(after.WaitForCount(2));
  EXPECT_TRUE(Numbered(after.updates()));
  EXPECT_EQ(after.updates()[1].change().kind(), "visit.recalled");
}

TEST(QueueWatch, ALostNotificationConnectionResendsTheState) {
  ReceptionWorld world;
  rv1::Visit v;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &v)));
  Watcher watcher(world.lodge(), world.desk.site.name());
  ASSERT_TRUE(watcher.WaitForCount(1));
  // The feed's LISTEN connection dies (a database failover, a network cut).
  ASSERT_EQ(world.booking.Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE query LIKE '%LISTEN%reception_queue%' AND pid <> "
                                "pg_backend_pid() AND datname = current_database()"),
            "1");
  ASSERT_TRUE(watcher.WaitForCount(2));
  EXPECT_TRUE(watcher.updates()[1].has_state());
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &v)));
  ASSERT_TRUE(watcher.WaitForCount(3));
  EXPECT_TRUE(Numbered(watcher.updates()));
  EXPECT_EQ(watcher.updates()[2].change().ticket(), "A-002");
}

TEST(QueueWatch, ADisplayWatchesWithItsDeviceTokenUntilRevoked) {
  TestServerOptions options;
  options.stream_recheck = absl::Milliseconds(500);
  ReceptionWorld world(4, 1, options);
  auto admin = world.booking.server().AccessStub(world.booking.server().StaffToken());
  av1::CreateDeviceTokenRequest create;
  create.set_site(world.desk.site.name());
  create.set_display_name("Écran salle d'attente");
  av1::DeviceToken device;
  ASSERT_TRUE(RpcOk(CallOn(*admin, &av1::AccessService::Stub::CreateDeviceToken, create, &device)));
  auto display = world.Stub(device.token());
  Watcher watcher(*display, world.desk.site.name());
  ASSERT_TRUE(watcher.WaitForCount(1));
  rv1::Visit v;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &v)));
  ASSERT_TRUE(watcher.WaitForCount(2));

  av1::RevokeDeviceTokenRequest revoke;
  revoke.set_name(device.name());
  ASSERT_TRUE(RpcOk(CallOn(*admin, &av1::AccessService::Stub::RevokeDeviceToken, revoke, &device)));
  grpc::Status ended = watcher.Ended();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Explain(ended);

  // A site the caller holds no role on.
  auto other = world.Stub(world.booking.server().Token("lodge-9", {{av1::LODGE_AGENT, 999}}));
  Watcher refused(*other, world.desk.site.name());
  EXPECT_EQ(refused.Ended().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace accueil::testing
