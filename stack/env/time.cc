#include "stack/env/time.h"

#include "absl/strings/str_format.h"

namespace rtcsim {

std::string TimeDelta::ToString() const {
  if (IsInfinite()) return "inf";
  return absl::StrFormat("%d.%06dms", ns_ / 1000000, (ns_ < 0 ? -ns_ : ns_) % 1000000);
}

std::string Timestamp::ToString() const {
  return absl::StrFormat("%d.%09ds", ns_ / 1000000000, ns_ % 1000000000);
}

}  // namespace rtcsim
