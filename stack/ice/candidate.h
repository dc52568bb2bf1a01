// ICE candidates: the candidate-attribute grammar of RFC 8839 §5.1,
// priorities and foundations (RFC 8445 §5.1.2, §5.1.1.3).
//
//   candidate-attribute = "candidate" ":" foundation SP component-id SP
//                         transport SP priority SP connection-address SP
//                         port SP cand-type [SP rel-addr] [SP rel-port]
//                         *(SP cand-extension)
#ifndef RTCSIM_STACK_ICE_CANDIDATE_H_
#define RTCSIM_STACK_ICE_CANDIDATE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stack/env/socket_address.h"

namespace rtcsim::ice {

enum class CandidateType { kHost, kServerReflexive, kPeerReflexive, kRelayed };
std::string ToString(CandidateType type);  // "host", "srflx", "prflx", "relay"

struct Candidate {
  std::string foundation;  // 1*32 ice-char
  uint16_t component = 1;
  std::string transport = "udp";  // lower-case on output; only UDP is used
  uint32_t priority = 0;
  SocketAddress address;
  CandidateType type = CandidateType::kHost;
  SocketAddress related;  // rel-addr/rel-port; unset for host candidates
  // Extension attributes in order, e.g. {"generation","0"}, {"ufrag","abc"};
  // unknown ones are kept so a candidate round-trips (RFC 8839 §5.1).
  std::vector<std::pair<std::string, std::string>> extensions;

  // The local base this candidate sends from (RFC 8445 §5.1.1); not on the
  // wire. For host and relayed candidates it is the candidate address itself;
  // for server-reflexive ones, the host candidate's address.
  SocketAddress base;

  bool operator==(const Candidate& other) const;
};

// Parses "candidate:..." with or without a leading "a=" (and trailing
// CR/LF). Errors name the field and its 1-based token index.
absl::StatusOr<Candidate> ParseCandidate(absl::string_view line);
// Serialises as "candidate:..." (no "a=").
std::string SerializeCandidate(const Candidate& candidate);

// RFC 8445 §5.1.2.2 recommended type preferences.
uint32_t TypePreference(CandidateType type);
// RFC 8445 §5.1.2.1: (2^24)·type + (2^8)·local + (256 − component).
uint32_t ComputePriority(CandidateType type, uint16_t local_preference, uint16_t component);
// RFC 8445 §6.1.2.3: 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0).
uint64_t PairPriority(uint32_t controlling_priority, uint32_t controlled_priority);
// RFC 8445 §5.1.1.3: same type, base IP, server (for srflx/relay) and
// transport give the same foundation. A stable short hash of those.
std::string ComputeFoundation(CandidateType type, const IpAddress& base_ip,
                              const SocketAddress& server, absl::string_view transport);

}  // namespace rtcsim::ice

#endif  // RTCSIM_STACK_ICE_CANDIDATE_H_
