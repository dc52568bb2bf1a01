// One JSON object per line on stdout: the event stream of rtcsim_peer.
#ifndef RTCSIM_TOOLS_PEER_JSON_LINE_H_
#define RTCSIM_TOOLS_PEER_JSON_LINE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rtcsim::peer {

// A JSON string literal (quotes included), RFC 8259 §7 escaping; bytes that
// are not valid UTF-8 are not expected (SDP and candidates are ASCII).
std::string JsonString(absl::string_view text);

// Builds {"k":v,...} in insertion order.
class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view value);
  JsonObject& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, const std::string& value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, int64_t value);
  JsonObject& Add(absl::string_view key, int value) { return Add(key, int64_t{value}); }
  JsonObject& Add(absl::string_view key, uint64_t value);
  JsonObject& Add(absl::string_view key, bool value);
  JsonObject& AddDouble(absl::string_view key, double value);
  // `json` must already be valid JSON (an object from elsewhere).
  JsonObject& AddRaw(absl::string_view key, absl::string_view json);
  JsonObject& AddNull(absl::string_view key);

  std::string Build() const { return body_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string body_ = "{";
};

// {"event":"<name>", ...}: start an event line.
JsonObject Event(absl::string_view name);
// Writes the object and a newline to stdout and flushes. Thread-safe.
void Emit(const JsonObject& object);

}  // namespace rtcsim::peer

#endif  // RTCSIM_TOOLS_PEER_JSON_LINE_H_
