#ifndef RTCSIM_SIMNET_EVENT_LOOP_H_
#define RTCSIM_SIMNET_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "stack/env/env.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

// A single-threaded discrete-event loop on a virtual clock. Events run in
// (time, insertion sequence) order, so equal-time events keep the order they
// were scheduled in and a run never depends on pointer or hash order. Virtual
// time jumps to the next event; nothing ever sleeps.
class EventLoop {
 public:
  using Callback = std::function<void()>;

  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  Timestamp now() const { return now_; }

  // Schedules `cb` at `at`; a time in the past means now.
  TaskId Schedule(Timestamp at, Callback cb);
  TaskId ScheduleAfter(TimeDelta delay, Callback cb) { return Schedule(now_ + delay, std::move(cb)); }
  // Cancels a pending event; false if it already ran or was cancelled.
  bool Cancel(TaskId id);

  // Runs the next event; false when none is pending.
  bool RunOne();
  // Runs every event due at or before `until`, then advances the clock to it.
  void RunUntil(Timestamp until);
  void RunFor(TimeDelta d) { RunUntil(now_ + d); }
  // Runs until no event is pending or Stop() is called.
  void Run();
  // Makes Run/RunUntil return after the current event.
  void Stop() { stopped_ = true; }

  size_t pending() const { return heap_.size() - cancelled_in_heap_; }
  uint64_t events_run() const { return events_run_; }

 private:
  struct Entry {
    int64_t time;
    uint64_t seq;
    uint32_t slot;
  };
  struct Slot {
    Callback cb;
    uint32_t generation = 1;
    bool pending = false;
  };
  static bool Before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  void Push(const Entry& e);
  Entry PopTop();
  uint32_t AllocSlot();
  // Removes the top entry if it was cancelled; true if it did.
  bool DropCancelledTop();

  // A 4-ary min-heap: shallower than a binary heap, and a node's children
  // share a cache line.
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  Timestamp now_ = Timestamp::Zero();
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  size_t cancelled_in_heap_ = 0;
  bool stopped_ = false;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_EVENT_LOOP_H_
