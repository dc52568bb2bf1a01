// Makes usrsctp's randomness reproducible in simulation executables
// (../shared/DESIGN.md §4).
//
// usrsctp draws its verification tags, initial TSNs (RFC 9260 §5.1), cookie
// secret and heartbeat jitter (RFC 9260 §8.3) from its exported read_random(),
// which reads the OS entropy source. libusrsctp calls it through the PLT, so
// defining read_random() in the executable (and exporting it) replaces it for
// the library. While a VirtualWallClockScope is active on the calling thread
// (stack/sctp opens one around every usrsctp call) the bytes are a hash of
// the virtual time and of how many draws were made at that same virtual time;
// a simulation that makes the same calls at the same virtual times gets the
// same bytes, also when several simulations run in one process one after the
// other (each starts at virtual time zero). Outside a scope it passes through
// to libusrsctp's own read_random.
//
// Not a source of secrets: only simulation binaries link this.
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "stack/env/virtual_wall_clock.h"

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Draw position: the virtual time of the last draw and a counter of the
// 8-byte words drawn at that time. Single-threaded like the simulation.
int64_t last_draw_ns = -1;
uint64_t words_at_last_draw = 0;

}  // namespace

extern "C" void read_random(void* buffer, size_t size) {
  rtcsim::VirtualClockReading reading;
  if (!rtcsim::ReadVirtualWallClock(&reading)) {
    using ReadRandomFn = void (*)(void*, size_t);
    static auto next = reinterpret_cast<ReadRandomFn>(dlsym(RTLD_NEXT, "read_random"));
    if (next != nullptr) next(buffer, size);
    return;
  }
  if (reading.monotonic_ns != last_draw_ns) {
    last_draw_ns = reading.monotonic_ns;
    words_at_last_draw = 0;
  }
  auto* out = static_cast<uint8_t*>(buffer);
  while (size > 0) {
    const uint64_t word =
        SplitMix64(SplitMix64(static_cast<uint64_t>(last_draw_ns)) ^ words_at_last_draw++);
    const size_t n = size < sizeof(word) ? size : sizeof(word);
    std::memcpy(out, &word, n);
    out += n;
    size -= n;
  }
}
