#include "simnet/event_loop.h"

#include <utility>

namespace rtcsim::simnet {

// A TaskId packs the slot (low 32 bits, plus one so zero stays invalid) and
// the slot's generation, so a stale id never cancels a reused slot.
static TaskId MakeId(uint32_t slot, uint32_t generation) {
  return TaskId{(uint64_t{generation} << 32) | (uint64_t{slot} + 1)};
}

uint32_t EventLoop::AllocSlot() {
  if (!free_slots_.empty()) {
    uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

TaskId EventLoop::Schedule(Timestamp at, Callback cb) {
  if (at < now_) at = now_;
  uint32_t s = AllocSlot();
  Slot& slot = slots_[s];
  slot.cb = std::move(cb);
  slot.pending = true;
  Push(Entry{at.ns(), next_seq_++, s});
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

void EventLoop::Push(const Entry& e) {
  size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!Before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

EventLoop::Entry EventLoop::PopTop() {
  Entry top = heap_[0];
  Entry last = heap_.back();
  heap_.pop_back();
  size_t n = heap_.size();
  if (n == 0) return top;
  size_t i = 0;
  while (true) {
    size_t first = 4 * i + 1;
    if (first >= n) break;
    size_t best = first;
    size_t end = first + 4 < n ? first + 4 : n;
    for (size_t c = first + 1; c < end; ++c) {
      if (Before(heap_[c], heap_[best])) best = c;
    }
    if (!Before(heap_[best], last)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
  return top;
}

bool EventLoop::DropCancelledTop() {
  if (heap_.empty() || slots_[heap_[0].slot].pending) return false;
  Entry e = PopTop();
  ++slots_[e.slot].generation;
  free_slots_.push_back(e.slot);
  --cancelled_in_heap_;
  return true;
}

bool EventLoop::RunOne() {
  while (DropCancelledTop()) {
  }
  if (heap_.empty()) return false;
  {
    Entry e = PopTop();
    Slot& slot = slots_[e.slot];
    Callback cb = std::move(slot.cb);
    slot.cb = nullptr;
    slot.pending = false;
    ++slot.generation;
    free_slots_.push_back(e.slot);
    now_ = Timestamp::Nanos(e.time);
    ++events_run_;
    cb();
  }
  return true;
}

void EventLoop::RunUntil(Timestamp until) {
  stopped_ = false;
  while (!stopped_) {
    while (DropCancelledTop()) {
    }
    if (heap_.empty() || heap_[0].time > until.ns()) break;
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
