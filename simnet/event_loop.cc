#include "simnet/event_loop.h"

#include <algorithm>
#include <utility>

namespace rtcsim::simnet {

// A TaskId packs the slot (low 32 bits, plus one so zero stays invalid) and
// the slot's generation, so a stale id never cancels a reused slot.
static TaskId MakeId(uint32_t slot, uint32_t generation) {
  return TaskId{(uint64_t{generation} << 32) | (uint64_t{slot} + 1)};
}

uint32_t EventLoop::NewSlot() {
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

TaskId EventLoop::Enqueue(Timestamp at, uint32_t s) {
  if (at < now_) at = now_;
  Slot& slot = slots_[s];
  slot.pending = true;
  if (next_seq_ >= seq_limit_) Renumber();
  const Entry e{at.ns(), next_seq_++ << 32 | s};
  if (top_consumed_) {
    // The running event's entry is still the root: overwrite it, one sift
    // instead of a pop and a push.
    top_consumed_ = false;
    SiftUp(SiftHoleToLeaf(heap_.size()), e);
  } else {
    heap_.push_back(e);
    SiftUp(heap_.size() - 1, e);
  }
  return MakeId(s, slot.generation);
}

bool EventLoop::Cancel(TaskId id) {
  if (!id.valid()) return false;
  uint64_t s = (id.value & 0xffffffffu) - 1;
  if (s >= slots_.size()) return false;
  Slot& slot = slots_[s];
  if (!slot.pending || slot.generation != (id.value >> 32)) return false;
  // The heap entry stays until it surfaces; the slot is freed then.
  slot.pending = false;
  slot.cb = nullptr;
  ++cancelled_in_heap_;
  return true;
}

void EventLoop::SiftUp(size_t hole, const Entry& e) {
  Entry* h = heap_.data();
  while (hole > 0) {
    const size_t parent = (hole - 1) / 4;
    if (!Before(e, h[parent])) break;
    h[hole] = h[parent];
    hole = parent;
  }
  h[hole] = e;
}

// Bottom-up deletion: the hole at the root walks down to a leaf along the
// earlier children, and the caller sifts the entry that fills it up from
// there. That entry is the heap's last one or a new event, which are seldom
// due before most pending events, so it rarely climbs far; and the walk down
// needs no comparison with it. Per level that is three comparisons, done as
// a branch-free tournament, instead of four data-dependent branches:
// comparisons of random times are coin flips, and mispredicting them costs
// more than the comparisons themselves.
size_t EventLoop::SiftHoleToLeaf(size_t n) {
  Entry* h = heap_.data();
  // Past L1-sized heaps the walk waits on memory; below, prefetches only cost.
  const bool prefetch = n > kPrefetchAbove;
  size_t hole = 0;
  while (true) {
    const size_t first = 4 * hole + 1;
    if (first + 4 <= n) {
      if (prefetch && 4 * first + 1 < n) {
        // The next level is one of four adjacent groups: fetch them all
        // while the comparisons decide which.
        for (size_t k = 1; k < 17; k += 4) __builtin_prefetch(h + 4 * first + k);
      }
      // A branch-free tournament. Selecting values rather than indices saves
      // reloading the winners; the selections are masks because the compiler
      // turns ?: here back into (mispredicted) branches.
      const Entry* c = h + first;
      const uint64_t x = Mask(Before(c[1], c[0]));
      const uint64_t y = Mask(Before(c[3], c[2]));
      const Entry a = Select(x, c[1], c[0]);
      const Entry b = Select(y, c[3], c[2]);
      const uint64_t z = Mask(Before(b, a));
      h[hole] = Select(z, b, a);
      const size_t ia = first + (x & 1), ib = first + 2 + (y & 1);
      hole = ia ^ ((ia ^ ib) & z);
    } else if (first < n) {
      size_t best = first;
      for (size_t c = first + 1; c < n; ++c) {
        if (Before(h[c], h[best])) best = c;
      }
      h[hole] = h[best];
      hole = best;
    } else {
      return hole;
    }
  }
}

void EventLoop::PopTop() {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (heap_.empty()) return;
  SiftUp(SiftHoleToLeaf(heap_.size()), last);
}

void EventLoop::SettleTop() {
  if (!top_consumed_) return;
  top_consumed_ = false;
  PopTop();
}

void EventLoop::Renumber() {
  SettleTop();
  // A sorted array is a valid heap, and sorting keeps the current order.
  std::sort(heap_.begin(), heap_.end(), Before);
  for (size_t i = 0; i < heap_.size(); ++i) {
    heap_[i].order = uint64_t{i} << 32 | heap_[i].slot();
  }
  next_seq_ = heap_.size();
}

bool EventLoop::DropCancelledTop() {
  if (heap_.empty() || slots_[heap_[0].slot()].pending) return false;
  const uint32_t s = heap_[0].slot();
  PopTop();
  ++slots_[s].generation;
  free_slots_.push_back(s);
  --cancelled_in_heap_;
  return true;
}

const EventLoop::Entry* EventLoop::NextLive() {
  SettleTop();
  while (DropCancelledTop()) {
  }
  return heap_.empty() ? nullptr : &heap_[0];
}

bool EventLoop::RunOne() {
  const Entry* next = NextLive();
  if (next == nullptr) return false;
  const uint32_t s = next->slot();
  now_ = Timestamp::Nanos(next->time);
  // The entry stays at the root, consumed, until the callback schedules
  // (which overwrites it) or the loop next looks at the heap (which pops it).
  // Most events schedule a successor, and this turns their pop and push into
  // one sift.
  top_consumed_ = true;
  Slot& slot = slots_[s];
  Callback cb = std::move(slot.cb);
  slot.cb = nullptr;
  slot.pending = false;
  ++slot.generation;
  free_slots_.push_back(s);
  ++events_run_;
  cb();
  return true;
}

void EventLoop::RunUntil(Timestamp until) {
  stopped_ = false;
  while (!stopped_) {
    const Entry* next = NextLive();
    if (next == nullptr || next->time > until.ns()) break;
    RunOne();
  }
  if (!stopped_ && now_ < until) now_ = until;
}

void EventLoop::Run() {
  stopped_ = false;
  while (!stopped_ && RunOne()) {
  }
}

}  // namespace rtcsim::simnet
