#ifndef RTCSIM_SIMNET_CAPTURE_CHECKSUM_H_
#define RTCSIM_SIMNET_CAPTURE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace rtcsim::simnet {

// The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones'
// complement sum of the data taken as big-endian 16-bit words (an odd final
// byte is padded with a zero byte).
//
// Accumulates data given in pieces, as if the pieces were one contiguous
// buffer; pieces may have odd lengths. Allocation-free; cheap to copy.
class ChecksumAccumulator {
 public:
  void Add(absl::Span<const uint8_t> data);
  void Add(const uint8_t* data, size_t size) { Add(absl::MakeConstSpan(data, size)); }
  // Adds two bytes: the big-endian 16-bit `word`.
  void AddWord(uint16_t word);

  // The folded ones' complement sum of everything added, before complementing.
  uint16_t Sum() const;
  // The checksum value to store in a header (as a big-endian 16-bit field).
  uint16_t Checksum() const { return static_cast<uint16_t>(~Sum()); }

 private:
  uint64_t sum_ = 0;  // Unfolded sum of big-endian 16-bit words.
  bool odd_ = false;  // True when the total length so far is odd.
};

// Sum of big-endian 16-bit words of `data`, folded to 16 bits (not
// complemented).
uint16_t OnesComplementSum(absl::Span<const uint8_t> data);

// The RFC 1071 checksum of `data` (the complement of OnesComplementSum).
// Verifying: the checksum of a header whose checksum field is filled in is 0.
inline uint16_t InternetChecksum(absl::Span<const uint8_t> data) {
  return static_cast<uint16_t>(~OnesComplementSum(data));
}

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_CAPTURE_CHECKSUM_H_
