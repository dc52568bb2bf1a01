#include "stack/realnet/real_env.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/env/random.h"

namespace rtcsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Generous: these bound waits on loopback, they are not timing assertions.
constexpr TimeDelta kTimeout = TimeDelta::Seconds(5);

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string Text(absl::Span<const uint8_t> payload) {
  return std::string(payload.begin(), payload.end());
}

SocketAddress Loopback4() { return SocketAddress(IpAddress::V4(127, 0, 0, 1), 0); }

SocketAddress Loopback6() {
  std::array<uint8_t, 16> b{};
  b[15] = 1;
  return SocketAddress(IpAddress::V6(b), 0);
}

struct Received {
  SocketAddress from;
  std::string payload;
};

// Binds two sockets on `address` (port 0) and exchanges datagrams both ways.
void ExchangeBothWays(RealEnv& env, const SocketAddress& address) {
  auto a = env.BindUdp(address);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = env.BindUdp(address);
  ASSERT_TRUE(b.ok()) << b.status();
  UdpSocket& sa = **a;
  UdpSocket& sb = **b;
  EXPECT_EQ(sa.local_address().ip(), address.ip());
  EXPECT_NE(sa.local_address().port(), 0);
  EXPECT_NE(sa.local_address().port(), sb.local_address().port());

  std::vector<Received> at_a, at_b;
  sa.SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t> payload) {
    at_a.push_back({from, Text(payload)});
  });
  sb.SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t> payload) {
    at_b.push_back({from, Text(payload)});
    // Reply from inside the callback.
    ASSERT_TRUE(sb.SendTo(from, Bytes("pong:" + Text(payload))).ok());
  });

  ASSERT_TRUE(sa.SendTo(sb.local_address(), Bytes("ping")).ok());
  ASSERT_TRUE(env.RunUntil([&] { return !at_a.empty(); }, kTimeout));
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].from, sa.local_address());
  EXPECT_EQ(at_b[0].payload, "ping");
  EXPECT_EQ(at_a[0].from, sb.local_address());
  EXPECT_EQ(at_a[0].payload, "pong:ping");

  // A burst: every queued datagram is read, not just one per wakeup.
  constexpr int kBurst = 100;
  for (int i = 0; i < kBurst; ++i) {
    ASSERT_TRUE(sa.SendTo(sb.local_address(), Bytes(std::to_string(i))).ok());
  }
  ASSERT_TRUE(env.RunUntil([&] { return at_a.size() == 1 + kBurst; }, kTimeout));
  for (int i = 0; i < kBurst; ++i) EXPECT_EQ(at_b[1 + i].payload, std::to_string(i));
  EXPECT_EQ(env.counters().receive_errors, 0u);
}

TEST(RealEnv, NowStartsNearZeroAndIsMonotonic) {
  RealEnv env;
  Timestamp t0 = env.Now();
  EXPECT_GE(t0, Timestamp::Zero());
  EXPECT_LT(t0, Timestamp::Zero() + TimeDelta::Seconds(10));
  Timestamp t1 = env.Now();
  EXPECT_GE(t1, t0);
}

TEST(RealEnv, Ipv4LoopbackExchangeBothWays) {
  RealEnv env;
  ExchangeBothWays(env, Loopback4());
}

TEST(RealEnv, Ipv6LoopbackExchangeBothWays) {
  RealEnv env;
  if (!env.BindUdp(Loopback6()).ok()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  ExchangeBothWays(env, Loopback6());
}

TEST(RealEnv, UnspecifiedAddressBindsWildcard) {
  RealEnv env;
  auto any = env.BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_TRUE((*any)->local_address().ip().IsUnspecified());
  ASSERT_NE((*any)->local_address().port(), 0);
  auto sender = env.BindUdp(Loopback4());
  ASSERT_TRUE(sender.ok()) << sender.status();

  std::string got;
  (*any)->SetReceiveCallback(
      [&](const SocketAddress&, absl::Span<const uint8_t> payload) { got = Text(payload); });
  SocketAddress to(IpAddress::V4(127, 0, 0, 1), (*any)->local_address().port());
  ASSERT_TRUE((*sender)->SendTo(to, Bytes("hi")).ok());
  ASSERT_TRUE(env.RunUntil([&] { return !got.empty(); }, kTimeout));
  EXPECT_EQ(got, "hi");
}

TEST(RealEnv, BindPortInUseFailsNamingTheAddress) {
  RealEnv env;
  auto first = env.BindUdp(Loopback4());
  ASSERT_TRUE(first.ok()) << first.status();
  SocketAddress taken = (*first)->local_address();
  auto second = env.BindUdp(taken);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(second.status())) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("bind " + taken.ToString()));
  EXPECT_THAT(second.status().message(), HasSubstr("Address already in use"));
}

TEST(RealEnv, BindWithoutFamilyIsInvalid) {
  RealEnv env;
  auto s = env.BindUdp(SocketAddress());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << s.status();
}

TEST(RealEnv, SendToBadDestinationsIsInvalidArgument) {
  RealEnv env;
  auto s = env.BindUdp(Loopback4());
  ASSERT_TRUE(s.ok()) << s.status();
  SocketAddress v6 = Loopback6();
  absl::Status mismatch = (*s)->SendTo(SocketAddress(v6.ip(), 5000), Bytes("x"));
  EXPECT_TRUE(absl::IsInvalidArgument(mismatch)) << mismatch;
  EXPECT_THAT(mismatch.message(), HasSubstr("[::1]:5000"));
  EXPECT_THAT(mismatch.message(), HasSubstr("family"));

  absl::Status unspecified = (*s)->SendTo(SocketAddress(IpAddress::AnyV4(), 5000), Bytes("x"));
  EXPECT_TRUE(absl::IsInvalidArgument(unspecified)) << unspecified;
  absl::Status none = (*s)->SendTo(SocketAddress(), Bytes("x"));
  EXPECT_TRUE(absl::IsInvalidArgument(none)) << none;
  absl::Status port0 = (*s)->SendTo(SocketAddress(IpAddress::V4(127, 0, 0, 1), 0), Bytes("x"));
  EXPECT_TRUE(absl::IsInvalidArgument(port0)) << port0;
}

TEST(RealEnv, OversizedDatagramIsAnError) {
  RealEnv env;
  auto a = env.BindUdp(Loopback4());
  auto b = env.BindUdp(Loopback4());
  ASSERT_TRUE(a.ok() && b.ok());
  std::string big(70000, 'x');
  absl::Status status = (*a)->SendTo((*b)->local_address(), Bytes(big));
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr((*b)->local_address().ToString()));
  EXPECT_THAT(status.message(), HasSubstr("Message too long"));
}

TEST(RealEnv, LargestIpv4DatagramArrivesWhole) {
  RealEnv env;
  auto a = env.BindUdp(Loopback4());
  auto b = env.BindUdp(Loopback4());
  ASSERT_TRUE(a.ok() && b.ok());
  std::string big(65507, 'y');
  size_t got = 0;
  (*b)->SetReceiveCallback(
      [&](const SocketAddress&, absl::Span<const uint8_t> payload) { got = payload.size(); });
  ASSERT_TRUE((*a)->SendTo((*b)->local_address(), Bytes(big)).ok());
  ASSERT_TRUE(env.RunUntil([&] { return got != 0; }, kTimeout));
  EXPECT_EQ(got, big.size());
}

TEST(RealEnv, SocketCanBeDestroyedInsideItsOwnCallback) {
  RealEnv env;
  auto a = env.BindUdp(Loopback4());
  auto b = env.BindUdp(Loopback4());
  ASSERT_TRUE(a.ok() && b.ok());
  std::unique_ptr<UdpSocket> receiver = std::move(*b);
  SocketAddress to = receiver->local_address();
  int calls = 0;
  receiver->SetReceiveCallback([&](const SocketAddress&, absl::Span<const uint8_t>) {
    ++calls;
    receiver.reset();  // Destroys the socket and this very callback's owner.
  });
  // Several datagrams queued: the rest must not be delivered to a dead socket.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*a)->SendTo(to, Bytes("x")).ok());
  ASSERT_TRUE(env.RunUntil([&] { return receiver == nullptr; }, kTimeout));
  env.RunFor(TimeDelta::Millis(20));
  EXPECT_EQ(calls, 1);
}

TEST(RealEnv, CallbackMayDestroyAnotherReadySocket) {
  RealEnv env;
  auto sender = env.BindUdp(Loopback4());
  ASSERT_TRUE(sender.ok());
  std::unique_ptr<UdpSocket> s1 = *env.BindUdp(Loopback4());
  std::unique_ptr<UdpSocket> s2 = *env.BindUdp(Loopback4());
  int calls = 0;
  // Whichever is dispatched first destroys both; the other's event, possibly
  // in the same epoll batch, must be ignored.
  auto kill_both = [&](const SocketAddress&, absl::Span<const uint8_t>) {
    ++calls;
    s1.reset();
    s2.reset();
  };
  s1->SetReceiveCallback(kill_both);
  s2->SetReceiveCallback(kill_both);
  ASSERT_TRUE((*sender)->SendTo(s1->local_address(), Bytes("1")).ok());
  ASSERT_TRUE((*sender)->SendTo(s2->local_address(), Bytes("2")).ok());
  ASSERT_TRUE(env.RunUntil([&] { return s1 == nullptr; }, kTimeout));
  env.RunFor(TimeDelta::Millis(20));
  EXPECT_EQ(calls, 1);
}

TEST(RealEnv, SocketMayOutliveEnv) {
  std::unique_ptr<UdpSocket> socket;
  {
    RealEnv env;
    socket = *env.BindUdp(Loopback4());
    env.PostDelayedTask(TimeDelta::Seconds(60), [] {});
  }
  EXPECT_NE(socket->local_address().port(), 0);
  socket.reset();
}

TEST(RealEnv, TimersFireInDeadlineOrderAndNeverEarly) {
  RealEnv env;
  struct Fired {
    int tag;
    Timestamp at;
  };
  std::vector<Fired> fired;
  std::vector<Timestamp> not_before(5);
  const TimeDelta delays[] = {TimeDelta::Millis(30), TimeDelta::Millis(10), TimeDelta::Millis(20),
                              TimeDelta::Zero(), TimeDelta::Millis(-5)};
  for (int i = 0; i < 5; ++i) {
    not_before[i] = env.Now() + std::max(delays[i], TimeDelta::Zero());
    env.PostDelayedTask(delays[i], [&, i] { fired.push_back({i, env.Now()}); });
  }
  ASSERT_TRUE(env.RunUntil([&] { return fired.size() == 5; }, kTimeout));
  std::vector<int> order;
  for (const Fired& f : fired) {
    order.push_back(f.tag);
    EXPECT_GE(f.at, not_before[f.tag]) << "timer " << f.tag << " fired early";
  }
  EXPECT_THAT(order, ElementsAre(3, 4, 1, 2, 0));
}

TEST(RealEnv, SubMillisecondTimersAreNotRoundedEarly) {
  RealEnv env;
  Random random(7);
  constexpr int kTimers = 200;
  int fired = 0;
  for (int i = 0; i < kTimers; ++i) {
    TimeDelta delay = TimeDelta::Micros(random.UniformRange(1, 3000));
    Timestamp not_before = env.Now() + delay;
    env.PostDelayedTask(delay, [&, not_before] {
      EXPECT_GE(env.Now(), not_before);
      ++fired;
    });
  }
  ASSERT_TRUE(env.RunUntil([&] { return fired == kTimers; }, kTimeout));
}

TEST(RealEnv, CancelStopsAPendingTask) {
  RealEnv env;
  std::vector<std::string> ran;
  TaskId a = env.PostDelayedTask(TimeDelta::Millis(5), [&] { ran.push_back("a"); });
  TaskId b = env.PostDelayedTask(TimeDelta::Millis(10), [&] { ran.push_back("b"); });
  TaskId c = env.PostTask([&] { ran.push_back("c"); });
  EXPECT_TRUE(a.valid());
  EXPECT_NE(a, b);
  EXPECT_TRUE(env.Cancel(a));
  EXPECT_FALSE(env.Cancel(a));
  EXPECT_TRUE(env.Cancel(c));
  EXPECT_FALSE(env.Cancel(TaskId{}));
  EXPECT_EQ(env.pending_tasks(), 1u);
  ASSERT_TRUE(env.RunUntil([&] { return !ran.empty(); }, kTimeout));
  env.RunFor(TimeDelta::Millis(20));
  EXPECT_THAT(ran, ElementsAre("b"));
  EXPECT_FALSE(env.Cancel(b));  // Already ran.
}

TEST(RealEnv, TaskCanCancelALaterTask) {
  RealEnv env;
  bool later_ran = false;
  TaskId later = env.PostDelayedTask(TimeDelta::Millis(10), [&] { later_ran = true; });
  bool cancelled = false;
  env.PostDelayedTask(TimeDelta::Millis(1), [&] { cancelled = env.Cancel(later); });
  env.RunFor(TimeDelta::Millis(30));
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(later_ran);
}

TEST(RealEnv, ManyCancelledTimersLeaveNothingPending) {
  RealEnv env;
  std::vector<TaskId> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(env.PostDelayedTask(TimeDelta::Seconds(3600), [] {}));
  }
  for (TaskId id : ids) EXPECT_TRUE(env.Cancel(id));
  EXPECT_EQ(env.pending_tasks(), 0u);
  bool ran = false;
  env.PostDelayedTask(TimeDelta::Millis(1), [&] { ran = true; });
  EXPECT_TRUE(env.RunUntil([&] { return ran; }, kTimeout));
}

TEST(RealEnv, PostTaskIsFifoAndNeverReentrant) {
  RealEnv env;
  std::vector<int> order;
  bool inside_first = false;
  for (int i = 0; i < 100; ++i) {
    env.PostTask([&, i] {
      if (i == 0) {
        inside_first = true;
        env.PostTask([&] {
          EXPECT_FALSE(inside_first) << "ran re-entrantly";
          order.push_back(100);
        });
        inside_first = false;
      }
      order.push_back(i);
    });
  }
  ASSERT_TRUE(env.RunUntil([&] { return order.size() == 101; }, kTimeout));
  for (int i = 0; i <= 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(RealEnv, SelfRepostingTaskDoesNotStarveSockets) {
  RealEnv env;
  auto a = env.BindUdp(Loopback4());
  auto b = env.BindUdp(Loopback4());
  ASSERT_TRUE(a.ok() && b.ok());
  bool received = false;
  (*b)->SetReceiveCallback(
      [&](const SocketAddress&, absl::Span<const uint8_t>) { received = true; });
  std::function<void()> spin = [&] {
    if (!received) env.PostTask(spin);
  };
  env.PostTask(spin);
  ASSERT_TRUE((*a)->SendTo((*b)->local_address(), Bytes("x")).ok());
  EXPECT_TRUE(env.RunUntil([&] { return received; }, kTimeout));
}

TEST(RealEnv, RunForRunsWhatIsDueAndNoMore) {
  RealEnv env;
  bool soon = false, late = false;
  env.PostDelayedTask(TimeDelta::Millis(2), [&] { soon = true; });
  env.PostDelayedTask(TimeDelta::Seconds(60), [&] { late = true; });
  Timestamp start = env.Now();
  env.RunFor(TimeDelta::Millis(20));
  EXPECT_GE(env.Now() - start, TimeDelta::Millis(20));
  EXPECT_TRUE(soon);
  EXPECT_FALSE(late);
  EXPECT_EQ(env.pending_tasks(), 1u);
}

TEST(RealEnv, RunUntilTimesOut) {
  RealEnv env;
  Timestamp start = env.Now();
  EXPECT_FALSE(env.RunUntil([] { return false; }, TimeDelta::Millis(20)));
  EXPECT_GE(env.Now() - start, TimeDelta::Millis(20));
  EXPECT_TRUE(env.RunUntil([] { return true; }, TimeDelta::Zero()));
}

TEST(RealEnv, StopEndsRun) {
  RealEnv env;
  std::vector<int> ran;
  env.PostTask([&] { ran.push_back(1); });
  env.PostDelayedTask(TimeDelta::Millis(5), [&] {
    ran.push_back(2);
    env.Stop();
  });
  env.PostDelayedTask(TimeDelta::Seconds(60), [&] { ran.push_back(3); });
  env.Run();
  EXPECT_THAT(ran, ElementsAre(1, 2));

  // A Stop() outside Run makes the next Run return at once; it is consumed.
  env.Stop();
  env.Run();
  bool ran_after = false;
  env.PostTask([&] { ran_after = true; });
  EXPECT_TRUE(env.RunUntil([&] { return ran_after; }, kTimeout));
}

// Another thread posts while the loop is blocked in epoll_wait with nothing
// else to do: the eventfd must wake it, and the tasks must run on the Env's
// thread in the order they were posted.
TEST(RealEnv, PostFromAnyThreadWakesTheLoopAndRunsInOrderOnItsThread) {
  RealEnv env;
  constexpr int kCount = 1000;
  std::vector<int> ran;
  bool all_on_env_thread = true;
  const std::thread::id env_thread = std::this_thread::get_id();
  std::thread poster([&] {
    for (int i = 0; i < kCount; ++i) {
      env.PostFromAnyThread([&, i] {
        if (std::this_thread::get_id() != env_thread) all_on_env_thread = false;
        ran.push_back(i);
      });
    }
  });
  // No timers, no sockets: only the eventfd can end the wait early.
  bool done = env.RunUntil([&] { return ran.size() == kCount; }, kTimeout);
  poster.join();
  ASSERT_TRUE(done) << ran.size() << " of " << kCount << " tasks ran";
  EXPECT_TRUE(all_on_env_thread);
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(ran[i], i);
}

// A request/response hand-off as an HTTP handler thread does it: post work to
// the Env, block until the Env thread answers.
TEST(RealEnv, PostFromAnyThreadHandOffAndWait) {
  RealEnv env;
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<int> answer;
  int env_state = 41;
  std::thread handler([&] {
    env.PostFromAnyThread([&] {
      ++env_state;  // Env-thread state, touched only here.
      std::lock_guard<std::mutex> lock(mutex);
      answer = env_state;
      answered.notify_one();
    });
    std::unique_lock<std::mutex> lock(mutex);
    answered.wait(lock, [&] { return answer.has_value(); });
    env.PostFromAnyThread([&env] { env.Stop(); });
  });
  env.Run();  // Ends with the Stop() posted by the handler thread.
  handler.join();
  EXPECT_EQ(answer, 42);
}

TEST(RealEnv, PostFromAnyThreadBeforeRunAndDestroyedUnrun) {
  bool ran = false;
  {
    RealEnv env;
    env.PostFromAnyThread([&] { ran = true; });
    EXPECT_TRUE(env.RunUntil([&] { return ran; }, kTimeout));
  }
  // Queued but never run: destroyed with the RealEnv, without running.
  auto token = std::make_shared<int>(0);
  {
    RealEnv env;
    env.PostFromAnyThread([token] { *token = 1; });
    EXPECT_EQ(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(*token, 0);
}

TEST(RealEnv, CreateRandomDrawsFreshEntropy) {
  RealEnv env;
  Random a = env.CreateRandom("ice");
  Random b = env.CreateRandom("ice");
  EXPECT_NE(a.Next64(), b.Next64());
}

}  // namespace
}  // namespace rtcsim
