// Event-scheduler benchmarks: the "hold model" used to compare ns-3's
// schedulers, on rtcsim's EventLoop and on two textbook baselines measured in
// the same process, plus timer churn (timers mostly cancelled before firing).
//
// Hold model: N events are pending at all times. Each executed event
// schedules exactly one new event at now + d, d uniform in [0, 1 ms). The
// delays come from a precomputed table (drawn once with rtcsim::Random), so
// the figures are the scheduler's cost alone; BM_EventLoopHoldLiveRng draws
// each delay from rtcsim::Random instead, to show what that adds.
//
// items_per_second = events executed per CPU second.

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "simnet/event_loop.h"
#include "stack/env/random.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {
namespace {

constexpr int64_t kMaxDelayNs = 1'000'000;  // delays are uniform in [0, 1 ms)

// A power-of-two table of delays, so the next one is an index and a mask.
class DelayTable {
 public:
  static constexpr size_t kSize = size_t{1} << 16;
  DelayTable() : delays_(kSize) {
    Random rng(42);
    for (int64_t& d : delays_) d = static_cast<int64_t>(rng.Uniform(kMaxDelayNs));
  }
  int64_t Next() { return delays_[next_++ & (kSize - 1)]; }

 private:
  std::vector<int64_t> delays_;
  size_t next_ = 0;
};

// The hold model on rtcsim's EventLoop. The callback captures one pointer,
// as the simulator's own callbacks do, so std::function stores it inline.
class LoopHold {
 public:
  explicit LoopHold(int pending) {
    for (int i = 0; i < pending; ++i) Reschedule();
  }
  EventLoop& loop() { return loop_; }

 private:
  void Reschedule() {
    loop_.ScheduleAfter(TimeDelta::Nanos(delays_.Next()), [this] { Reschedule(); });
  }
  EventLoop loop_;
  DelayTable delays_;
};

void BM_EventLoopHold(benchmark::State& state) {
  const int pending = static_cast<int>(state.range(0));
  LoopHold hold(pending);
  for (auto _ : state) hold.loop().RunOne();
  if (hold.loop().pending() != static_cast<size_t>(pending)) {
    state.SkipWithError("the number of pending events drifted");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventLoopHold)->Arg(1'000)->Arg(100'000);

// The same, drawing each delay from rtcsim::Random (xoshiro256** + Lemire).
class LoopHoldLiveRng {
 public:
  explicit LoopHoldLiveRng(int pending) : rng_(42) {
    for (int i = 0; i < pending; ++i) Reschedule();
  }
  EventLoop& loop() { return loop_; }

 private:
  void Reschedule() {
    loop_.ScheduleAfter(TimeDelta::Nanos(static_cast<int64_t>(rng_.Uniform(kMaxDelayNs))),
                        [this] { Reschedule(); });
  }
  EventLoop loop_;
  Random rng_;
};

void BM_EventLoopHoldLiveRng(benchmark::State& state) {
  LoopHoldLiveRng hold(static_cast<int>(state.range(0)));
  for (auto _ : state) hold.loop().RunOne();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventLoopHoldLiveRng)->Arg(1'000)->Arg(100'000);

// Baseline 1: the textbook loop, a binary std::priority_queue of events that
// carry their std::function, ordered by (time, insertion sequence).
class PriorityQueueHold {
 public:
  explicit PriorityQueueHold(int pending) {
    for (int i = 0; i < pending; ++i) Reschedule();
  }
  void RunOne() {
    // top() is const: move out through a cast rather than copy the callback.
    Event e = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    now_ = e.time;
    e.cb();
  }
  size_t pending() const { return queue_.size(); }

 private:
  struct Event {
    int64_t time;
    uint64_t seq;
    std::function<void()> cb;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time > b.time || (a.time == b.time && a.seq > b.seq);
    }
  };
  void Reschedule() {
    queue_.push(Event{now_ + delays_.Next(), seq_++, [this] { Reschedule(); }});
  }
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  DelayTable delays_;
};

void BM_BaselinePriorityQueueHold(benchmark::State& state) {
  const int pending = static_cast<int>(state.range(0));
  PriorityQueueHold hold(pending);
  for (auto _ : state) hold.RunOne();
  if (hold.pending() != static_cast<size_t>(pending)) {
    state.SkipWithError("the number of pending events drifted");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselinePriorityQueueHold)->Arg(1'000)->Arg(100'000);

// Baseline 2: a std::multimap keyed by (time, sequence), the structure of
// ns-3's default MapScheduler (a std::map of event keys).
class MultimapHold {
 public:
  explicit MultimapHold(int pending) {
    for (int i = 0; i < pending; ++i) Reschedule();
  }
  void RunOne() {
    auto it = events_.begin();
    now_ = it->first.first;
    std::function<void()> cb = std::move(it->second);
    events_.erase(it);
    cb();
  }
  size_t pending() const { return events_.size(); }

 private:
  void Reschedule() {
    events_.emplace(std::pair{now_ + delays_.Next(), seq_++}, [this] { Reschedule(); });
  }
  std::multimap<std::pair<int64_t, uint64_t>, std::function<void()>> events_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  DelayTable delays_;
};

void BM_BaselineMultimapHold(benchmark::State& state) {
  const int pending = static_cast<int>(state.range(0));
  MultimapHold hold(pending);
  for (auto _ : state) hold.RunOne();
  if (hold.pending() != static_cast<size_t>(pending)) {
    state.SkipWithError("the number of pending events drifted");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselineMultimapHold)->Arg(1'000)->Arg(100'000);

// Timer churn, as retransmission timers make it: N flows, each with one hold
// event pending. When a flow's event runs it cancels the flow's timer and
// re-arms it 0.9 ms ahead; since delays are uniform in [0, 1 ms), about 10%
// of timers fire and 90% are cancelled first. Cancelled entries stay in the
// heap until they surface (lazy deletion), so the heap holds N hold events
// plus the armed and not-yet-surfaced cancelled timers.
//
// items_per_second counts hold events; each one also does one Cancel and one
// timer Schedule, and timer expiries are extra events not counted as items.
class TimerChurn {
 public:
  explicit TimerChurn(int flows) : flows_(flows) {
    for (Flow& f : flows_) {
      f.owner = this;
      Fire(&f);
    }
  }
  // Runs events until `n` more hold events have run (timer expiries between
  // them included).
  void RunHoldEvents(uint64_t n) {
    const uint64_t target = hold_events_ + n;
    while (hold_events_ < target) loop_.RunOne();
  }
  uint64_t timers_fired() const { return timers_fired_; }
  uint64_t timers_cancelled() const { return timers_cancelled_; }

 private:
  struct Flow {
    TimerChurn* owner = nullptr;
    TaskId timer;
  };
  static constexpr TimeDelta kTimeout = TimeDelta::Micros(900);

  void Fire(Flow* f) {
    if (loop_.Cancel(f->timer)) ++timers_cancelled_;
    f->timer = loop_.ScheduleAfter(kTimeout, [f] { ++f->owner->timers_fired_; });
    loop_.ScheduleAfter(TimeDelta::Nanos(delays_.Next()), [this, f] {
      ++hold_events_;
      Fire(f);
    });
  }

  EventLoop loop_;
  DelayTable delays_;
  std::vector<Flow> flows_;
  uint64_t hold_events_ = 0;
  uint64_t timers_fired_ = 0;
  uint64_t timers_cancelled_ = 0;
};

void BM_EventLoopTimerChurn(benchmark::State& state) {
  TimerChurn churn(static_cast<int>(state.range(0)));
  for (auto _ : state) churn.RunHoldEvents(1);
  state.SetItemsProcessed(state.iterations());
  const double total = static_cast<double>(churn.timers_fired() + churn.timers_cancelled());
  state.counters["timers_fired_pct"] = total > 0 ? 100.0 * churn.timers_fired() / total : 0;
}
BENCHMARK(BM_EventLoopTimerChurn)->Arg(1'000)->Arg(100'000);

}  // namespace
}  // namespace rtcsim::simnet
