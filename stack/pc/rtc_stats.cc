#include "stack/pc/rtc_stats.h"

#include <cmath>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rtcsim::pc {

const StatsValue* RtcStats::Get(absl::string_view name) const {
  for (const auto& [key, value] : members) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string RtcStats::GetString(absl::string_view name) const {
  const StatsValue* v = Get(name);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) return "";
  return std::get<std::string>(*v);
}

uint64_t RtcStats::GetUint(absl::string_view name) const {
  const StatsValue* v = Get(name);
  if (v == nullptr) return 0;
  if (std::holds_alternative<uint64_t>(*v)) return std::get<uint64_t>(*v);
  if (std::holds_alternative<int64_t>(*v) && std::get<int64_t>(*v) >= 0) {
    return static_cast<uint64_t>(std::get<int64_t>(*v));
  }
  return 0;
}

void RtcStats::Set(std::string name, StatsValue value) {
  for (auto& [key, existing] : members) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  members.emplace_back(std::move(name), std::move(value));
}

const RtcStats* RtcStatsReport::Get(absl::string_view id) const {
  for (const RtcStats& s : stats) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<const RtcStats*> RtcStatsReport::OfType(absl::string_view type) const {
  std::vector<const RtcStats*> out;
  for (const RtcStats& s : stats) {
    if (s.type == type) out.push_back(&s);
  }
  return out;
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // RFC 8259 §7: control characters must be escaped; bytes >= 0x80
        // pass through (the caller's text is UTF-8).
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += ch;
        }
    }
  }
  out += "\"";
  return out;
}

namespace {
std::string JsonValue(const StatsValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return JsonQuote(v);
        } else if constexpr (std::is_same_v<T, double>) {
          // JSON has no NaN or infinity.
          return std::isfinite(v) ? absl::StrFormat("%.6g", v) : "null";
        } else {
          return absl::StrCat(v);
        }
      },
      value);
}
}  // namespace

std::string RtcStatsReport::ToJson() const {
  std::string out = "{";
  for (size_t i = 0; i < stats.size(); ++i) {
    const RtcStats& s = stats[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, JsonQuote(s.id), ":{\"id\":", JsonQuote(s.id),
                    ",\"type\":", JsonQuote(s.type),
                    ",\"timestamp\":", absl::StrFormat("%.3f", s.timestamp_ms));
    for (const auto& [key, value] : s.members) {
      absl::StrAppend(&out, ",", JsonQuote(key), ":", JsonValue(value));
    }
    out += "}";
  }
  out += "}";
  return out;
}

}  // namespace rtcsim::pc
