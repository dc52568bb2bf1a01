// A full ICE agent (RFC 8445) with trickle (RFC 8838) and consent freshness
// (RFC 7675), for one component over UDP.
//
// The agent binds one UDP socket per configured local address and runs
// everything on it (RFC 7983 demultiplexing): connectivity checks, Binding
// requests to STUN servers, TURN to TURN servers (the relayed candidate's
// base is that same socket, RFC 8445 §5.1.1.2), and application data, which
// it hands up through on_data.
#ifndef RTCSIM_STACK_ICE_ICE_AGENT_H_
#define RTCSIM_STACK_ICE_ICE_AGENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "stack/env/env.h"
#include "stack/ice/candidate.h"
#include "stack/stun/stun_transaction.h"

namespace rtcsim::ice {

struct IceCredentials {
  std::string ufrag;  // RFC 8445 §5.3: at least 24 bits of randomness
  std::string pwd;    // at least 128 bits
};

struct IceServer {
  enum class Type { kStun, kTurn };
  Type type = Type::kStun;
  SocketAddress address;
  std::string username;  // TURN only
  std::string password;
};

enum class IceTransportPolicy { kAll, kRelay };
enum class IceRole { kControlling, kControlled };

// W3C RTCIceConnectionState, driven as RFC 8445 §8 and RFC 7675 say.
enum class IceConnectionState {
  kNew,
  kChecking,
  kConnected,
  kCompleted,
  kFailed,
  kDisconnected,
  kClosed,
};
enum class IceGatheringState { kNew, kGathering, kComplete };
// RFC 8445 §6.1.2.6.
enum class CandidatePairState { kFrozen, kWaiting, kInProgress, kSucceeded, kFailed };

std::string ToString(IceRole role);
std::string ToString(IceConnectionState state);
std::string ToString(IceGatheringState state);
std::string ToString(CandidatePairState state);

struct IceAgentConfig {
  IceRole role = IceRole::kControlling;
  // Local addresses to gather host candidates on (IPv4 and/or IPv6). Empty
  // means one socket on the Env's default IPv4 address.
  std::vector<IpAddress> local_addresses;
  std::vector<IceServer> servers;
  IceTransportPolicy policy = IceTransportPolicy::kAll;

  // RFC 8445 §14.2: Ta, the pacing of new checks (one check per Ta across
  // the agent), default 50 ms.
  TimeDelta ta = TimeDelta::Millis(50);
  // RFC 8445 §14.3: each check's RTO is MAX(rto, Ta·N) for N waiting +
  // in-progress pairs, then RFC 8489 §6.2.1: doubled after each send (up to
  // max_rto), Rc sends, failure Rm·RTO after the last. The RFC defaults fail
  // an unanswered pair after 39.5 s; a product wanting faster failure caps
  // max_rto and lowers rm (RFC 8445 §14.3 allows other mechanisms, never an
  // RTO below 500 ms).
  stun::RetransmitConfig check_retransmit;
  // Binding requests to STUN servers while gathering: RTO = MAX(rto, Ta·
  // number of servers) (RFC 8445 §14.3), then RFC 8489 §6.2.1 as above; a
  // dead server delays gathering-complete by 39.5 s with the defaults.
  stun::RetransmitConfig gather_retransmit;
  // RFC 8445 §6.1.2.5: at most this many pairs in a check list (100).
  int max_pairs = 100;
  // RFC 7675 §5.1: consent checks every ~5 s, randomised to 0.8..1.2 of it;
  // consent lost after 30 s without a response.
  TimeDelta consent_interval = TimeDelta::Seconds(5);
  TimeDelta consent_timeout = TimeDelta::Seconds(30);
  // No response on the selected pair for this long: disconnected.
  TimeDelta disconnected_timeout = TimeDelta::Seconds(5);
  // RFC 8445 §11: keepalives on pairs in use, every Tr (>= 15 s).
  TimeDelta keepalive_interval = TimeDelta::Seconds(15);
  // Tie-breaker for role conflicts (RFC 8445 §7.1.1); 0 draws one from the
  // Env's random stream.
  uint64_t tie_breaker = 0;
  std::string software;  // SOFTWARE attribute, omitted when empty

  // Names this agent's random streams (Env::CreateRandom): credentials,
  // tie-breaker, transaction ids, consent jitter. Agents sharing one Env
  // (one simulated host) need distinct names, or they draw the same ufrag.
  std::string name = "ice";
  // RFC 8445 §8.1.1 leaves the stopping criterion to the agent: the
  // controlling agent nominates its best valid pair as soon as no pair of
  // higher priority is still to be checked, or this long after the first
  // pair became valid, whichever comes first.
  TimeDelta nomination_timeout = TimeDelta::Millis(500);
  // Whether the controlling agent nominates again when a pair of higher
  // priority than the selected one becomes valid later (e.g. a host pair
  // after a relayed one, or a trickled candidate). RFC 8445 §8.1.1 forbids
  // a second nomination; RFC 8445 controlled agents still handle it (they
  // MUST use the highest-priority nominated pair), so this is interoperable.
  // See ice_agent.cc "Nomination" for the details.
  bool renomination = true;
  // Without a remote end-of-candidates (RFC 8838 §8) the agent cannot know
  // that no more candidates will come: it fails after this long with no
  // valid pair and nothing left to check.
  TimeDelta checking_timeout = TimeDelta::Seconds(30);
};

struct CandidatePairInfo {
  // The local candidate checks are sent from (host or relayed) until the
  // pair succeeds; then the local candidate the peer saw (RFC 8445
  // §7.2.5.3.2): behind a NAT the server- or peer-reflexive one.
  Candidate local;
  Candidate remote;
  uint64_t priority = 0;
  CandidatePairState state = CandidatePairState::kFrozen;
  bool nominated = false;
  TimeDelta rtt;  // of the last check or consent response
};

struct IceAgentStats {
  uint64_t checks_sent = 0;  // first transmissions
  uint64_t check_retransmissions = 0;
  uint64_t checks_received = 0;
  uint64_t responses_received = 0;
  uint64_t triggered_checks = 0;
  uint64_t role_conflicts = 0;       // 487s sent or received, and role switches
  uint64_t integrity_failures = 0;   // requests/responses with bad MESSAGE-INTEGRITY
  uint64_t unknown_transaction = 0;  // responses matching no request
  uint64_t malformed_packets = 0;    // STUN that failed to parse, etc.
  uint64_t unknown_source = 0;       // non-STUN data from no valid pair
  uint64_t consent_checks_sent = 0;
  uint64_t consent_expired = 0;
  uint64_t keepalives_sent = 0;     // Binding indications (RFC 8445 §11)
  uint64_t nomination_retries = 0;  // nominations re-sent after loss (see .cc)
  uint64_t selected_pair_changes = 0;
  uint64_t ice_restarts = 0;
  uint64_t remote_candidates_rejected = 0;
  uint64_t data_sent = 0;
  uint64_t data_received = 0;
  // Datagrams the local socket (or TURN client) refused to send, e.g.
  // because the host no longer has the socket's address.
  uint64_t send_errors = 0;
  // ICE restarts that found the host address gone and re-bound (see
  // RestartIce).
  uint64_t host_address_changes = 0;
};

class IceAgent {
 public:
  struct Callbacks {
    std::function<void(const Candidate&)> on_candidate;  // trickled as found
    std::function<void()> on_gathering_complete;         // end-of-candidates
    std::function<void(IceConnectionState)> on_state;
    std::function<void(const CandidatePairInfo&)> on_selected_pair;
    std::function<void(absl::Span<const uint8_t>)> on_data;
  };

  IceAgent(Env& env, IceAgentConfig config, Callbacks callbacks);
  ~IceAgent();
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  const IceCredentials& local_credentials() const;
  void SetRemoteCredentials(const IceCredentials& remote);

  // Binds the sockets and gathers host, server-reflexive and relayed
  // candidates, trickling each through on_candidate. Errors (no address
  // could be bound) come back at once; server failures only mean fewer
  // candidates.
  absl::Status GatherCandidates();

  // Trickled remote candidate (RFC 8838 §11). InvalidArgument for a
  // candidate the agent cannot use (not UDP, wrong component, an
  // unresolvable address); counted, never fatal.
  absl::Status AddRemoteCandidate(const Candidate& candidate);
  void AddRemoteEndOfCandidates();

  // Sends on the selected pair. FailedPrecondition without one, or once
  // consent has expired (RFC 7675 §5.1).
  absl::Status Send(absl::Span<const uint8_t> data);

  // RFC 8445 §9: new local credentials, candidates re-gathered, remote
  // candidates forgotten; the selected pair keeps carrying data until a new
  // one is selected. The caller then signals the new credentials.
  //
  // Network change: when the agent runs on the Env's default address
  // (IceAgentConfig::local_addresses empty) and the host no longer has the
  // address its socket is bound to (e.g. it moved to another network), the
  // restart closes that socket with its bases, TURN allocations and the old
  // selected pair (unusable without its base, so §9 cannot keep it), binds
  // a new socket on the default address and gathers host, server-reflexive
  // and relayed candidates on it. Unavailable if no new socket can be bound
  // (nothing is changed then).
  absl::Status RestartIce();
  void Close();

  IceRole role() const;
  IceConnectionState state() const;
  IceGatheringState gathering_state() const;
  std::optional<CandidatePairInfo> selected_pair() const;
  std::vector<Candidate> local_candidates() const;
  std::vector<CandidatePairInfo> pairs() const;  // the check list, by priority
  const IceAgentStats& stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rtcsim::ice

#endif  // RTCSIM_STACK_ICE_ICE_AGENT_H_
