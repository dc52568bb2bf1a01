// W3C RTCStatsReport (webrtc-stats): a list of stats objects, each with an
// id, a type ("transport", "candidate-pair", ...), a timestamp and named
// members, named as the webrtc-stats spec names them.
#ifndef RTCSIM_STACK_PC_RTC_STATS_H_
#define RTCSIM_STACK_PC_RTC_STATS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace rtcsim::pc {

using StatsValue = std::variant<bool, int64_t, uint64_t, double, std::string>;

struct RtcStats {
  std::string id;
  std::string type;
  double timestamp_ms = 0;  // the Env clock, in milliseconds
  std::vector<std::pair<std::string, StatsValue>> members;

  // The member called `name`, or null.
  const StatsValue* Get(absl::string_view name) const;
  // Typed shorthands; the default when absent or of another type.
  std::string GetString(absl::string_view name) const;
  uint64_t GetUint(absl::string_view name) const;

  void Set(std::string name, StatsValue value);
};

struct RtcStatsReport {
  std::vector<RtcStats> stats;

  const RtcStats* Get(absl::string_view id) const;
  std::vector<const RtcStats*> OfType(absl::string_view type) const;
  // {"<id>": {"id":..., "type":..., "timestamp":..., members...}, ...} as
  // JSON, as a browser's JSON.stringify(Object.fromEntries(report)) gives.
  std::string ToJson() const;
};

// A JSON string literal (quotes included) with RFC 8259 §7 escaping.
std::string JsonQuote(absl::string_view text);

}  // namespace rtcsim::pc

#endif  // RTCSIM_STACK_PC_RTC_STATS_H_
