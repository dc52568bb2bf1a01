// RTP sequence numbers: the 16-bit wire value (RFC 3550 §5.1) and the
// extended, never-wrapping count that receivers keep (RFC 3550 §6.4.1
// "extended highest sequence number received", Appendix A.1) and that SRTP
// builds its packet index from (RFC 3711 §3.3.1: i = 2^16 * ROC + SEQ).
//
// Both are strong types so a wire value cannot be mistaken for an extended
// one, and so wrap-aware comparison is the only comparison on offer for the
// wire value: ordinary `<` on 16-bit sequence numbers is wrong across the
// wrap, which is exactly when it matters.
#ifndef RTCSIM_STACK_RTP_SEQ_NUM_H_
#define RTCSIM_STACK_RTP_SEQ_NUM_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace rtcsim::rtp {

// A 16-bit RTP sequence number as carried on the wire. Arithmetic wraps
// modulo 2^16. There is deliberately no operator<: use IsNewer/SeqNumDelta.
class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint16_t value) : value_(value) {}

  constexpr uint16_t value() const { return value_; }

  // Wraps modulo 2^16 (RFC 3550 §5.1: the sequence number increments by one
  // for each packet and wraps).
  constexpr SeqNum operator+(int delta) const {
    return SeqNum(static_cast<uint16_t>(value_ + static_cast<uint16_t>(delta)));
  }
  constexpr SeqNum operator-(int delta) const { return *this + (-delta); }
  constexpr SeqNum& operator++() { return *this = *this + 1; }

  friend constexpr bool operator==(SeqNum a, SeqNum b) = default;

  std::string ToString() const;

 private:
  uint16_t value_ = 0;
};

// The signed distance from `b` forward to `a`, in [-32768, 32767]: the
// shortest way round the 16-bit circle. SeqNumDelta(SeqNum(2), SeqNum(65534))
// is 4. When the two are exactly half the circle apart the answer is -32768
// in both directions: the order is ambiguous, and neither counts as newer.
constexpr int SeqNumDelta(SeqNum a, SeqNum b) {
  const uint16_t forward = static_cast<uint16_t>(a.value() - b.value());
  return forward < 0x8000 ? static_cast<int>(forward) : static_cast<int>(forward) - 0x10000;
}

// Whether `a` comes after `b` in wrap-aware order (RFC 3550 Appendix A.1
// treats a forward jump of less than half the space as in order). Irreflexive
// and antisymmetric; at exactly half the space apart neither is newer.
constexpr bool IsNewer(SeqNum a, SeqNum b) { return SeqNumDelta(a, b) > 0; }

// A sequence number extended past 16 bits: value = 2^16 * cycles + seq. It
// is totally ordered. It may be negative when a reordered packet is older
// than the first one a receiver saw (seq 65535 arriving after seq 3); SRTP,
// which needs a non-negative index, uses rollover_count() only after
// checking the value is not negative.
class ExtendedSeqNum {
 public:
  constexpr ExtendedSeqNum() = default;
  constexpr explicit ExtendedSeqNum(int64_t value) : value_(value) {}
  // From a rollover counter and a wire value (RFC 3711 §3.3.1).
  static constexpr ExtendedSeqNum FromRoc(uint32_t roc, SeqNum seq) {
    return ExtendedSeqNum((int64_t{roc} << 16) | seq.value());
  }

  constexpr int64_t value() const { return value_; }
  // The low 16 bits: the wire sequence number.
  constexpr SeqNum seq() const { return SeqNum(static_cast<uint16_t>(value_ & 0xFFFF)); }
  // The number of completed 16-bit cycles (SRTP's ROC). Floor division, so
  // -1 for values in [-65536, -1].
  constexpr int64_t rollover_count() const { return value_ >> 16; }
  // RFC 3550 §6.4.1: the report block's 32-bit "extended highest sequence
  // number received" is the low 32 bits (16 bits of cycles, 16 of seq).
  constexpr uint32_t ToReportField() const { return static_cast<uint32_t>(value_); }

  constexpr ExtendedSeqNum operator+(int64_t delta) const { return ExtendedSeqNum(value_ + delta); }
  constexpr int64_t operator-(ExtendedSeqNum other) const { return value_ - other.value_; }
  friend constexpr auto operator<=>(ExtendedSeqNum a, ExtendedSeqNum b) = default;

  std::string ToString() const;  // "131077 (roc 2, seq 5)"

 private:
  int64_t value_ = 0;
};

// The extension of `seq` closest to `reference` (a pure function; RFC 3711
// §3.3.1 estimates the SRTP index the same way, choosing among ROC-1, ROC and
// ROC+1). Exactly half the space ahead is taken as behind, matching
// SeqNumDelta.
constexpr ExtendedSeqNum Unwrap(SeqNum seq, ExtendedSeqNum reference) {
  return reference + SeqNumDelta(seq, reference.seq());
}

// Extends a stream of wire sequence numbers as a receiver sees them,
// reordered and with gaps. The reference is the highest value seen so far
// (RFC 3550 Appendix A.1 keeps max_seq and counts cycles the same way), so a
// burst of late packets does not drag the reference backwards.
class SeqNumUnwrapper {
 public:
  // The first value seen is taken at face value (cycle 0).
  ExtendedSeqNum Unwrap(SeqNum seq);

  // The highest extended value returned so far, if any.
  std::optional<ExtendedSeqNum> highest() const { return highest_; }
  void Reset() { highest_.reset(); }

 private:
  std::optional<ExtendedSeqNum> highest_;
};

}  // namespace rtcsim::rtp

#endif  // RTCSIM_STACK_RTP_SEQ_NUM_H_
