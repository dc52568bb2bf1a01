#include "simnet/event_loop.h"

#include <vector>

#include "gtest/gtest.h"

namespace rtcsim::simnet {
namespace {

TEST(EventLoop, RunsByTimeThenInsertionOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.Schedule(Timestamp::Nanos(30), [&] { order.push_back(3); });
  loop.Schedule(Timestamp::Nanos(10), [&] { order.push_back(1); });
  loop.Schedule(Timestamp::Nanos(20), [&] { order.push_back(20); });
  loop.Schedule(Timestamp::Nanos(20), [&] { order.push_back(21); });
  loop.Schedule(Timestamp::Nanos(20), [&] { order.push_back(22); });
  loop.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 20, 21, 22, 3}));
  EXPECT_EQ(loop.now(), Timestamp::Nanos(30));
  EXPECT_EQ(loop.events_run(), 5u);
}

TEST(EventLoop, ManyEqualTimesKeepFifoOrderThroughTheHeap) {
  EventLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 1000; ++i) {
    loop.Schedule(Timestamp::Nanos(i % 7), [&order, i] { order.push_back(i); });
  }
  loop.Run();
  ASSERT_EQ(order.size(), 1000u);
  for (size_t k = 1; k < order.size(); ++k) {
    int a = order[k - 1], b = order[k];
    ASSERT_TRUE(a % 7 < b % 7 || (a % 7 == b % 7 && a < b)) << a << " before " << b;
  }
}

TEST(EventLoop, CancelPreventsRunAndStaleIdsDoNothing) {
  EventLoop loop;
  int ran = 0;
  TaskId a = loop.ScheduleAfter(TimeDelta::Millis(1), [&] { ran += 1; });
  TaskId b = loop.ScheduleAfter(TimeDelta::Millis(2), [&] { ran += 10; });
  EXPECT_EQ(loop.pending(), 2u);
  EXPECT_TRUE(loop.Cancel(a));
  EXPECT_FALSE(loop.Cancel(a));
  EXPECT_EQ(loop.pending(), 1u);
  loop.Run();
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(loop.Cancel(b));  // already ran
  // The slot of `a` is reused; its old id must not cancel the new event.
  loop.ScheduleAfter(TimeDelta::Millis(1), [&] { ran += 100; });
  EXPECT_FALSE(loop.Cancel(a));
  loop.Run();
  EXPECT_EQ(ran, 110);
  EXPECT_FALSE(loop.Cancel(TaskId{}));
  EXPECT_FALSE(loop.Cancel(TaskId{12345}));
}

TEST(EventLoop, RunUntilStopsAtTheBoundaryAndAdvancesTime) {
  EventLoop loop;
  int ran = 0;
  TaskId dead = loop.Schedule(Timestamp::Nanos(5), [&] { ran += 1000; });
  loop.Schedule(Timestamp::Nanos(10), [&] { ++ran; });
  loop.Schedule(Timestamp::Nanos(11), [&] { ++ran; });
  loop.Cancel(dead);
  loop.RunUntil(Timestamp::Nanos(10));
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(loop.now(), Timestamp::Nanos(10));
  loop.RunUntil(Timestamp::Nanos(100));
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(loop.now(), Timestamp::Nanos(100));
}

TEST(EventLoop, PastTimesRunNowAndEventsCanScheduleEvents) {
  EventLoop loop;
  std::vector<int64_t> times;
  loop.RunUntil(Timestamp::Nanos(50));
  loop.Schedule(Timestamp::Nanos(1), [&] {
    times.push_back(loop.now().ns());
    loop.ScheduleAfter(TimeDelta::Nanos(7), [&] { times.push_back(loop.now().ns()); });
  });
  loop.Run();
  EXPECT_EQ(times, (std::vector<int64_t>{50, 57}));
}

TEST(EventLoop, StopEndsRunAfterTheCurrentEvent) {
  EventLoop loop;
  int ran = 0;
  loop.ScheduleAfter(TimeDelta::Nanos(1), [&] {
    ++ran;
    loop.Stop();
  });
  loop.ScheduleAfter(TimeDelta::Nanos(2), [&] { ++ran; });
  loop.Run();
  EXPECT_EQ(ran, 1);
  loop.Run();
  EXPECT_EQ(ran, 2);
}

// Sequence numbers are 32 bits and renumbered when they run out; a low limit
// makes that happen every few events. Order must survive it, with cancelled
// entries and equal times in the heap, including from inside a callback.
TEST(EventLoop, RenumberingSequenceNumbersKeepsTheOrder) {
  EventLoop loop;
  loop.SetSequenceLimitForTesting(64);
  std::vector<int> order;
  std::vector<TaskId> ids;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(loop.Schedule(Timestamp::Nanos(i % 3), [&order, i] { order.push_back(i); }));
  }
  for (int i = 0; i < 40; i += 5) EXPECT_TRUE(loop.Cancel(ids[i]));
  // Each run event schedules a follower at the same time, past the limit.
  int followers = 0;
  for (int round = 0; round < 200; ++round) {
    loop.Schedule(Timestamp::Nanos(2), [&] {
      ++followers;
      loop.Schedule(Timestamp::Nanos(2), [&order] { order.push_back(1000); });
    });
  }
  loop.Run();
  EXPECT_EQ(followers, 200);
  std::vector<int> expected;
  for (int t = 0; t < 3; ++t) {
    for (int i = t; i < 40; i += 3) {
      if (i % 5 != 0) expected.push_back(i);
    }
  }
  expected.insert(expected.end(), 200, 1000);
  EXPECT_EQ(order, expected);
  EXPECT_EQ(loop.pending(), 0u);
}

TEST(EventLoop, PendingCountsTheRunningEventOut) {
  EventLoop loop;
  size_t seen = 99;
  loop.Schedule(Timestamp::Nanos(1), [&] { seen = loop.pending(); });
  loop.Schedule(Timestamp::Nanos(2), [] {});
  EXPECT_EQ(loop.pending(), 2u);
  EXPECT_TRUE(loop.RunOne());
  EXPECT_EQ(seen, 1u);
  EXPECT_EQ(loop.pending(), 1u);
  EXPECT_TRUE(loop.RunOne());
  EXPECT_EQ(loop.pending(), 0u);
  EXPECT_FALSE(loop.RunOne());
}

}  // namespace
}  // namespace rtcsim::simnet
