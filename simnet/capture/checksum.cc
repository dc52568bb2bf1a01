#include "simnet/capture/checksum.h"

#include <bit>
#include <cstring>

namespace rtcsim::simnet {
namespace {

uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint16_t Swap16(uint16_t v) { return static_cast<uint16_t>((v << 8) | (v >> 8)); }

// Folded ones' complement sum of the data read as *native-order* 16-bit words
// (RFC 1071 §2(B): the sum is byte-order independent up to a final swap).
// Eight bytes at a time; each 64-bit load is split into two 32-bit halves so
// the 64-bit accumulator cannot overflow for any realistic length.
uint16_t NativeSum(const uint8_t* p, size_t n) {
  uint64_t sum = 0;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    sum += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    sum += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The last byte is the high (first) byte of a zero-padded word.
    sum += std::endian::native == std::endian::little ? uint64_t{*p} : uint64_t{*p} << 8;
  }
  return Fold(sum);
}

}  // namespace

uint16_t OnesComplementSum(absl::Span<const uint8_t> data) {
  uint16_t s = NativeSum(data.data(), data.size());
  return std::endian::native == std::endian::little ? Swap16(s) : s;
}

void ChecksumAccumulator::Add(absl::Span<const uint8_t> data) {
  if (data.empty()) return;
  uint16_t s = OnesComplementSum(data);
  // Data starting at an odd offset has every byte in the other half of its
  // word; the sum of byte-swapped words is the byte-swapped sum.
  sum_ += odd_ ? Swap16(s) : s;
  if (data.size() % 2 == 1) odd_ = !odd_;
}

void ChecksumAccumulator::AddWord(uint16_t word) { sum_ += odd_ ? Swap16(word) : word; }

uint16_t ChecksumAccumulator::Sum() const { return Fold(sum_); }

}  // namespace rtcsim::simnet
