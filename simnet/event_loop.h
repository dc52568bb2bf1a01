#ifndef RTCSIM_SIMNET_EVENT_LOOP_H_
#define RTCSIM_SIMNET_EVENT_LOOP_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <utility>
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

  // Schedules `cb` (anything a Callback can be made from) at `at`; a time in
  // the past means now. The Callback is constructed in place in its slot:
  // building a temporary and moving it in stalled store forwarding (two
  // 8-byte stores read back as one 16-byte load), a measurable cost per event.
  template <std::convertible_to<Callback> F>
  TaskId Schedule(Timestamp at, F&& cb) {
    const uint32_t s = AllocSlot();
    Callback* slot_cb = &slots_[s].cb;
    std::destroy_at(slot_cb);  // free slots hold an empty Callback
    std::construct_at(slot_cb, std::forward<F>(cb));
    return Enqueue(at, s);
  }
  template <std::convertible_to<Callback> F>
  TaskId ScheduleAfter(TimeDelta delay, F&& cb) {
    return Schedule(now_ + delay, std::forward<F>(cb));
  }
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

  size_t pending() const { return heap_.size() - cancelled_in_heap_ - (top_consumed_ ? 1 : 0); }
  uint64_t events_run() const { return events_run_; }

  // Sequence numbers are 32 bits wide (see Entry); the loop renumbers the
  // pending events when they run out. Tests lower the limit to exercise that.
  void SetSequenceLimitForTesting(uint32_t limit) { seq_limit_ = limit; }

 private:
  // 16 bytes, so the four children of a heap node share one cache line.
  // `order` is seq << 32 | slot: the sequence number breaks time ties (it is
  // unique, so the slot bits never decide) and the slot rides along.
  struct Entry {
    int64_t time;  // never negative: times before now are clamped to now
    uint64_t order;
    uint32_t slot() const { return static_cast<uint32_t>(order); }
  };
  struct Slot {
    Callback cb;
    uint32_t generation = 1;
    bool pending = false;
  };
  // (time, order) as one unsigned 128-bit key: the comparison compiles to a
  // compare and a subtract-with-borrow, with no branch to mispredict, which
  // matters because heap comparisons on random times are coin flips.
  static bool Before(const Entry& a, const Entry& b) {
    using U128 = unsigned __int128;
    return (U128{static_cast<uint64_t>(a.time)} << 64 | a.order) <
           (U128{static_cast<uint64_t>(b.time)} << 64 | b.order);
  }
  // All ones if `b`, else zero.
  static uint64_t Mask(bool b) { return -static_cast<uint64_t>(b); }
  // `if_set` where `mask` is all ones, else `otherwise`.
  static Entry Select(uint64_t mask, const Entry& if_set, const Entry& otherwise) {
    const auto pick = [mask](uint64_t x, uint64_t y) { return y ^ ((x ^ y) & mask); };
    return Entry{static_cast<int64_t>(pick(if_set.time, otherwise.time)),
                 pick(if_set.order, otherwise.order)};
  }
  // Heaps larger than this many entries (64 KiB) prefetch as they sift.
  static constexpr size_t kPrefetchAbove = 4096;
  // Fills the hole at `hole` with `e`, moving it up past later entries.
  void SiftUp(size_t hole, const Entry& e);
  // Moves the hole at the root of heap_[0, n) down to a leaf, always taking
  // the earlier child; returns where the hole ends up.
  size_t SiftHoleToLeaf(size_t n);
  // Removes the root.
  void PopTop();
  // Pops the consumed root, if any (see RunOne).
  void SettleTop();
  uint32_t AllocSlot() {
    if (free_slots_.empty()) return NewSlot();
    const uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  uint32_t NewSlot();
  // Puts the event whose callback is in slot `s` in the heap.
  TaskId Enqueue(Timestamp at, uint32_t s);
  // Removes the top entry if it was cancelled; true if it did.
  bool DropCancelledTop();
  // The earliest live entry (settling and dropping cancelled ones), or null.
  const Entry* NextLive();
  // Gives the pending events sequence numbers 0, 1, 2, ... in their current
  // order, so 32-bit sequence numbers never wrap.
  void Renumber();

  // Places element 1 of an array of 16-byte entries on a 64-byte boundary,
  // so that in the heap below every group of four siblings (4i+1 .. 4i+4)
  // is exactly one cache line.
  template <typename T>
  struct SiblingAlignedAllocator {
    static_assert(sizeof(T) == 16);
    using value_type = T;
    static constexpr std::align_val_t kLine{64};
    SiblingAlignedAllocator() = default;
    template <typename U>
    SiblingAlignedAllocator(const SiblingAlignedAllocator<U>&) {}
    T* allocate(size_t n) {
      auto* line = static_cast<std::byte*>(::operator new((n + 3) * sizeof(T), kLine));
      return reinterpret_cast<T*>(line + 3 * sizeof(T));
    }
    void deallocate(T* p, size_t n) {
      ::operator delete(reinterpret_cast<std::byte*>(p) - 3 * sizeof(T), (n + 3) * sizeof(T),
                        kLine);
    }
    bool operator==(const SiblingAlignedAllocator&) const { return true; }
  };

  // A 4-ary min-heap: shallower than a binary heap, and a node's children
  // share a cache line.
  std::vector<Entry, SiblingAlignedAllocator<Entry>> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  Timestamp now_ = Timestamp::Zero();
  uint64_t next_seq_ = 0;
  uint64_t seq_limit_ = uint64_t{1} << 32;
  uint64_t events_run_ = 0;
  size_t cancelled_in_heap_ = 0;
  // The root is the entry of the event now running (or last run).
  bool top_consumed_ = false;
  bool stopped_ = false;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_EVENT_LOOP_H_
