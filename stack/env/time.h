#ifndef RTCSIM_STACK_ENV_TIME_H_
#define RTCSIM_STACK_ENV_TIME_H_

#include <cstdint>
#include <limits>
#include <string>

namespace rtcsim {

// A signed span of time in integer nanoseconds. Integer time keeps
// simulations exact and identical across machines.
class TimeDelta {
 public:
  constexpr TimeDelta() = default;
  static constexpr TimeDelta Nanos(int64_t ns) { return TimeDelta(ns); }
  static constexpr TimeDelta Micros(int64_t us) { return TimeDelta(us * 1000); }
  static constexpr TimeDelta Millis(int64_t ms) { return TimeDelta(ms * 1000000); }
  static constexpr TimeDelta Seconds(int64_t s) { return TimeDelta(s * 1000000000); }
  static constexpr TimeDelta Zero() { return TimeDelta(0); }
  static constexpr TimeDelta Infinite() { return TimeDelta(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr int64_t us() const { return ns_ / 1000; }
  constexpr int64_t ms() const { return ns_ / 1000000; }
  constexpr bool IsInfinite() const { return ns_ == Infinite().ns_; }

  constexpr TimeDelta operator+(TimeDelta o) const { return TimeDelta(ns_ + o.ns_); }
  constexpr TimeDelta operator-(TimeDelta o) const { return TimeDelta(ns_ - o.ns_); }
  constexpr TimeDelta operator*(int64_t k) const { return TimeDelta(ns_ * k); }
  constexpr TimeDelta operator/(int64_t k) const { return TimeDelta(ns_ / k); }
  constexpr TimeDelta& operator+=(TimeDelta o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr auto operator<=>(const TimeDelta&) const = default;

  std::string ToString() const;

 private:
  constexpr explicit TimeDelta(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// A point on a monotonic clock, in nanoseconds since the clock's epoch
// (simulation start for virtual time).
class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp Nanos(int64_t ns) { return Timestamp(ns); }
  static constexpr Timestamp Zero() { return Timestamp(0); }
  static constexpr Timestamp Infinite() { return Timestamp(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr int64_t us() const { return ns_ / 1000; }
  constexpr int64_t ms() const { return ns_ / 1000000; }

  constexpr Timestamp operator+(TimeDelta d) const { return Timestamp(ns_ + d.ns()); }
  constexpr Timestamp operator-(TimeDelta d) const { return Timestamp(ns_ - d.ns()); }
  constexpr TimeDelta operator-(Timestamp o) const { return TimeDelta::Nanos(ns_ - o.ns_); }
  constexpr Timestamp& operator+=(TimeDelta d) {
    ns_ += d.ns();
    return *this;
  }
  constexpr auto operator<=>(const Timestamp&) const = default;

  std::string ToString() const;

 private:
  constexpr explicit Timestamp(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

}  // namespace rtcsim

#endif  // RTCSIM_STACK_ENV_TIME_H_
