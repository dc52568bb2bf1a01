#ifndef RTCSIM_STACK_ENV_RANDOM_H_
#define RTCSIM_STACK_ENV_RANDOM_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace rtcsim {

// A probability as an integer fraction of 2^32, so that random decisions
// never involve floating point and repeat exactly on every machine.
class Probability {
 public:
  constexpr Probability() = default;
  static constexpr Probability Never() { return Probability(0); }
  static constexpr Probability Always() { return Probability(uint64_t{1} << 32); }
  // `p` must be in [0, 1]; callers validate user input first.
  static Probability FromDouble(double p);
  static constexpr Probability FromParts(uint64_t parts_of_2_32) {
    return Probability(parts_of_2_32);
  }

  constexpr uint64_t parts() const { return parts_; }
  constexpr bool IsNever() const { return parts_ == 0; }
  constexpr auto operator<=>(const Probability&) const = default;

 private:
  constexpr explicit Probability(uint64_t parts) : parts_(parts) {}
  uint64_t parts_ = 0;
};

// A seeded pseudo-random stream (xoshiro256**), with integer-only
// distributions. Same seed, same sequence, on every platform; the standard
// library's distributions are avoided because their algorithms differ
// between implementations (../shared/DESIGN.md §4).
class Random {
 public:
  explicit Random(uint64_t seed);
  // An independent stream named `name` under `seed`: adding a stream never
  // shifts any other.
  static Random Derive(uint64_t seed, absl::string_view name);

  uint64_t Next64();
  uint32_t Next32() { return static_cast<uint32_t>(Next64() >> 32); }
  // Uniform in [0, n); n > 0. Unbiased (Lemire's multiply-and-reject).
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi] inclusive.
  int64_t UniformRange(int64_t lo, int64_t hi);
  bool Bernoulli(Probability p) { return Next32() < p.parts(); }

 private:
  uint64_t s_[4];
};

// A stable 64-bit hash of a seed and a name (FNV-1a, then a SplitMix64
// finaliser). Unlike std::hash or absl::Hash it is the same in every process.
uint64_t StableHash(uint64_t seed, absl::string_view name);

// SplitMix64's output function: a strong 64-bit mixer.
constexpr uint64_t Mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace rtcsim

#endif  // RTCSIM_STACK_ENV_RANDOM_H_
