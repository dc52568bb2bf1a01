#include "stack/rtp/seq_num.h"

#include "absl/strings/str_cat.h"

namespace rtcsim::rtp {

std::string SeqNum::ToString() const { return absl::StrCat(value_); }

std::string ExtendedSeqNum::ToString() const {
  return absl::StrCat(value_, " (roc ", rollover_count(), ", seq ", seq().value(), ")");
}

ExtendedSeqNum SeqNumUnwrapper::Unwrap(SeqNum seq) {
  if (!highest_.has_value()) {
    highest_ = ExtendedSeqNum(seq.value());
    return *highest_;
  }
  const ExtendedSeqNum extended = rtp::Unwrap(seq, *highest_);
  if (extended > *highest_) highest_ = extended;
  return extended;
}

}  // namespace rtcsim::rtp
