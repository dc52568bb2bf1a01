// ICE agent: RFC 8445 (full implementation, one data stream, component 1,
// UDP), trickle (RFC 8838), consent freshness (RFC 7675).
//
// Structure
//   Sockets and bases. One UdpSocket per local address. A "base" (RFC 8445
//   §5.1.1) is where checks are sent from: each host socket is one, and each
//   TURN allocation is one more (its packets go through TurnClient::SendTo
//   on the host socket, RFC 8445 §5.1.1.2). Every base has its own
//   StunClientTransactions for checks and consent, so a response can only
//   match a request sent from the same base (§7.2.5.2.1, the "destination"
//   half of the symmetry check). Server-reflexive gathering uses a second
//   transaction table per socket, so responses from STUN servers never mix
//   with checks.
//   Demultiplexing (RFC 7983 §7): first byte 0..3 is STUN, 64..79 from a
//   TURN server is ChannelData; traffic from a TURN server goes to its
//   TurnClient first. Everything else is application data, accepted only
//   from the remote address of a validated pair on the base it arrived on.
//
// Determinism: randomness comes from Env::CreateRandom(config.name + ...),
// pairs live in a vector kept sorted by (priority, creation order), and no
// hash container is ever iterated.
//
// Re-entrancy: user callbacks are queued and run when the outermost entry
// point (public method, socket receive, timer, transaction callback)
// returns, so the agent's state is consistent whenever user code runs, and
// user code may call back into the agent.
//
// Nomination (RFC 8445 §8.1.1, regular nomination)
//   The controlling agent nominates the best valid pair once no pair of
//   higher priority is still Frozen/Waiting/In-Progress, or
//   `nomination_timeout` after the first pair became valid. The nomination
//   check (USE-CANDIDATE) goes through the triggered-check queue; its
//   success selects the pair. With `renomination` (the default) the
//   controlling agent keeps checking pairs of higher priority than the
//   selected one and, if one becomes valid, nominates it as well; the
//   controlled agent always uses the highest-priority nominated pair (the
//   §8.1.1 rule for controllers that nominate more than once), so both ends
//   move. Both agents keep checking pairs of higher priority than the
//   selected one (behind port-restricted NATs each side's checks open the
//   way for the other's); lower-priority pairs stop being checked once a
//   pair is selected (§8.1.2). Triggered checks always run, since they
//   answer the peer. With `renomination` off, all ordinary checks stop at
//   selection and the first nomination is final, as RFC 8445 has it.
//
// Pacing (RFC 8445 §6.1.4.2): one check per Ta. Triggered checks go first,
//   except that right after a triggered check an ordinary pair that is ready
//   gets the slot: behind symmetric NATs the triggered queue can refill
//   forever and would starve the rest (e.g. relayed pairs). For the same
//   reason at most kMaxPeerReflexiveRemotes peer-reflexive remote
//   candidates are learned per session.
//
// Timers. Checks and Binding requests to STUN servers are retransmitted as
//   RFC 8489 §6.2.1 says, with its defaults unless configured otherwise
//   (IceAgentConfig::check_retransmit, gather_retransmit): RTO 500 ms, or
//   MAX(500 ms, Ta·N) per RFC 8445 §14.3 (N: waiting and in-progress pairs
//   for checks, STUN servers for gathering), doubled after each send, Rc = 7
//   sends, failure Rm = 16 RTOs after the last. So an unanswered check fails,
//   and a STUN server that never answers holds up gathering-complete, 39.5 s
//   after the first send (longer when Ta·N > 500 ms). Where the RFCs leave it
//   open (constants below): a consent request waits 3 s for its response.
//
// Connection state (W3C names, RFC 8445 §8 and RFC 7675 semantics)
//   new -> checking: the first candidate pair is formed.
//   checking -> connected: a pair is selected (controlling: its nomination
//     succeeded; controlled: a valid pair was nominated by the peer).
//   connected -> completed: local gathering is complete, the remote sent
//     end-of-candidates and no pair that could replace the selected one is
//     still being checked.
//   checking -> failed: every pair failed, local gathering is complete and
//     the remote sent end-of-candidates (RFC 8838 §8); or, without
//     end-of-candidates, `checking_timeout` passed with no valid pair and
//     nothing left to check.
//   connected/completed -> disconnected: a consent request went unanswered
//     and no consent response came for `disconnected_timeout`; back on the
//     next response.
//   any -> failed: no consent response for `consent_timeout` (RFC 7675
//     §5.1), or a 403 to a consent request (§5.2). Sending stops.
//   ICE restart (§9): the previous pair keeps carrying data (and consent
//     checks, RFC 7675 §5.1) while the new session runs checks; the state
//     shows checking until a new pair is selected.
//
// Network change (the host's address changes under a running agent)
//   Until the application restarts ICE, sends on the old socket fail
//   locally (counted in send_errors, otherwise treated as loss): RFC 7675
//   bases consent only on responses, so the usual timers apply —
//   disconnected after `disconnected_timeout` without a consent response,
//   failed after `consent_timeout`. An application that learns of the
//   change (or sees disconnected) calls RestartIce. Detection happens
//   there, and only for an agent on the Env's default address (no
//   configured local_addresses: explicit addresses are the application's
//   to manage): the agent binds its socket's own address and port again
//   as a probe. "Already in use" (simnet and realnet both say AlreadyExists)
//   means the address is still the host's, and the probe leaves no trace
//   and takes no ephemeral port, so runs without a change are unaltered.
//   Any other error means the address is gone: the socket, its bases, its
//   TURN allocations (they live on that socket's 5-tuple, RFC 8656 §2.2)
//   and the old selected pair if it used them are retired, and a new
//   socket is bound on the unspecified address, so the new gathering round
//   finds host, server-reflexive and fresh relayed candidates on it. The
//   old pair cannot carry data on a base that is gone, so §9's "keep using
//   the previous pair" does not apply; the state shows disconnected until
//   checks start. Retired objects are parked and destroyed from a task of
//   their own, since RestartIce may run inside one of their callbacks.
//   A change that keeps the old address (adds a new one first) is not
//   detected: the old socket still works.
#include "stack/ice/ice_agent.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "stack/stun/stun_message.h"
#include "stack/stun/stun_transaction.h"
#include "stack/turn/turn_client.h"

namespace rtcsim::ice {
namespace {

using stun::StunClass;
using stun::StunMessageBuilder;
using stun::StunMessageView;
using stun::StunMethod;
using stun::TransactionId;

constexpr absl::string_view kIceChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 8445 §5.3: ufrag >= 24 bits, pwd >= 128 bits of randomness; RFC 8839
// §5.4 asks for 4..256 and 22..256 ice-chars. 8 chars = 48 bits, 24 chars =
// 144 bits.
constexpr size_t kUfragLength = 8;
constexpr size_t kPwdLength = 24;

// RFC 7675 §5.1: each consent request is sent once; we wait 3 s for its
// response (more than any sane RTT, less than the 4 s minimum interval).
constexpr TimeDelta kConsentRto = TimeDelta::Millis(500);
constexpr int kConsentRm = 6;
// Peer-reflexive remote candidates learned per session. Behind NATs with
// address-and-port-dependent mapping on both sides every triggered check
// leaves through a new mapping, so the peer learns a new peer-reflexive
// address, and so on without end (and with endpoint-independent filtering
// each of those checks even arrives). RFC 8445 sets no bound; past this one
// checks are still answered but no new candidate or pair is made (counted
// in remote_candidates_rejected).
constexpr size_t kMaxPeerReflexiveRemotes = 16;

std::string RandomIceString(Random& rng, size_t n) {
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) s.push_back(kIceChars[rng.Uniform(kIceChars.size())]);
  return s;
}

bool IsStunFirstByte(uint8_t b) { return b <= 3; }  // RFC 7983 §7
bool IsChannelDataFirstByte(uint8_t b) { return b >= 64 && b <= 79; }

// A one-shot timer on the Env; cancelled when destroyed.
class Timer {
 public:
  explicit Timer(Env& env) : env_(env) {}
  ~Timer() { Stop(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void Start(TimeDelta delay, std::function<void()> fn) {
    Stop();
    if (delay < TimeDelta::Zero()) delay = TimeDelta::Zero();
    when_ = env_.Now() + delay;
    id_ = env_.PostDelayedTask(delay, [this, fn = std::move(fn)] {
      id_ = TaskId();
      fn();
    });
  }
  void Stop() {
    if (id_.valid()) env_.Cancel(id_);
    id_ = TaskId();
  }
  bool active() const { return id_.valid(); }
  Timestamp when() const { return when_; }

 private:
  Env& env_;
  TaskId id_;
  Timestamp when_;
};

}  // namespace

std::string ToString(IceRole role) {
  return role == IceRole::kControlling ? "controlling" : "controlled";
}

std::string ToString(IceConnectionState state) {
  switch (state) {
    case IceConnectionState::kNew:
      return "new";
    case IceConnectionState::kChecking:
      return "checking";
    case IceConnectionState::kConnected:
      return "connected";
    case IceConnectionState::kCompleted:
      return "completed";
    case IceConnectionState::kFailed:
      return "failed";
    case IceConnectionState::kDisconnected:
      return "disconnected";
    case IceConnectionState::kClosed:
      return "closed";
  }
  return "unknown";
}

std::string ToString(IceGatheringState state) {
  switch (state) {
    case IceGatheringState::kNew:
      return "new";
    case IceGatheringState::kGathering:
      return "gathering";
    case IceGatheringState::kComplete:
      return "complete";
  }
  return "unknown";
}

std::string ToString(CandidatePairState state) {
  switch (state) {
    case CandidatePairState::kFrozen:
      return "frozen";
    case CandidatePairState::kWaiting:
      return "waiting";
    case CandidatePairState::kInProgress:
      return "in-progress";
    case CandidatePairState::kSucceeded:
      return "succeeded";
    case CandidatePairState::kFailed:
      return "failed";
  }
  return "unknown";
}

class IceAgent::Impl {
 public:
  Impl(Env& env, IceAgentConfig config, Callbacks callbacks);
  ~Impl();

  const IceCredentials& local_credentials() const { return local_creds_; }
  void SetRemoteCredentials(const IceCredentials& remote);
  absl::Status GatherCandidates();
  absl::Status AddRemoteCandidate(const Candidate& candidate);
  void AddRemoteEndOfCandidates();
  absl::Status Send(absl::Span<const uint8_t> data);
  absl::Status RestartIce();
  void Close();

  IceRole role() const { return role_; }
  IceConnectionState state() const { return state_; }
  IceGatheringState gathering_state() const { return gathering_state_; }
  std::optional<CandidatePairInfo> selected_pair() const;
  std::vector<Candidate> local_candidates() const;
  std::vector<CandidatePairInfo> pairs() const;
  const IceAgentStats& stats() const;

 private:
  struct Turn;

  struct Base {
    size_t socket_index = 0;
    Turn* turn = nullptr;   // set for a relayed base
    SocketAddress address;  // the host address, or the relayed address
    uint16_t local_pref = 0;
    // The candidate pairs are formed with: the host candidate, or the
    // relayed candidate. Server-reflexive candidates are never paired; their
    // base stands in for them (RFC 8445 §6.1.2.4).
    Candidate candidate;
    bool pairable = false;  // surfaced, and allowed by the transport policy
    std::unique_ptr<stun::StunClientTransactions> checks;
  };

  struct HostSocket {
    std::unique_ptr<UdpSocket> socket;
    SocketAddress address;
    size_t address_index = 0;
    Base* base = nullptr;
    std::unique_ptr<stun::StunClientTransactions> gather;
    bool retired = false;  // replaced after a network change; ignore packets
  };

  struct Turn {
    size_t socket_index = 0;
    size_t server_index = 0;
    IceServer server;
    std::unique_ptr<turn::TurnClient> client;
    Base* base = nullptr;  // once allocated
    std::optional<turn::TurnClient::Allocation> allocation;
    uint64_t pending_generation = 0;  // gathering round waiting for it, or 0
    // Peers whose permission is being installed (RFC 8656 §9).
    std::vector<IpAddress> permission_requests;
    bool retired = false;  // its socket was replaced; awaiting destruction
  };

  struct LocalCandidate {
    Candidate candidate;
    Base* base = nullptr;
    bool surfaced = false;  // given to on_candidate (prflx ones are not)
  };

  struct Pair {
    uint64_t id = 0;
    Base* base = nullptr;
    Candidate local;  // the host or relayed candidate checks are sent from
    Candidate remote;
    std::string foundation;  // local:remote, for the frozen algorithm
    uint64_t priority = 0;
    CandidatePairState state = CandidatePairState::kFrozen;
    bool valid = false;
    // The local candidate whose address the peer saw (RFC 8445 §7.2.5.3.2):
    // the host candidate itself, or a server/peer-reflexive one behind NAT.
    std::optional<Candidate> valid_local;
    bool nominated = false;
    bool nominate_on_success = false;  // controlled: USE-CANDIDATE came first
    bool nomination_queued = false;    // controlling: in the triggered queue
    bool nominating = false;           // controlling: USE-CANDIDATE in flight
    Timestamp nomination_sent_at;      // first transmission of that check
    Timestamp last_success;            // last successful check on this pair
    bool in_triggered_queue = false;
    std::vector<TransactionId> transactions;  // checks in flight
    TimeDelta rtt;
  };

  // Runs queued user callbacks when the outermost entry point returns.
  class Entry {
   public:
    explicit Entry(Impl* impl) : impl_(impl) { ++impl_->depth_; }
    ~Entry() {
      if (--impl_->depth_ == 0) impl_->Flush();
    }

   private:
    Impl* impl_;
  };

  void Post(std::function<void()> event) { events_.push_back(std::move(event)); }
  void Flush();

  // Gathering.
  void ScheduleGatheringRound();
  void StartGatheringRound();
  void OnServerBinding(uint64_t generation, size_t socket_index, size_t server_index,
                       absl::StatusOr<stun::StunClientTransactions::Response> result);
  void StartTurn(size_t socket_index, size_t server_index);
  void OnAllocated(Turn* turn, absl::StatusOr<turn::TurnClient::Allocation> result);
  void SurfaceRelay(Turn* turn);
  void GatherStepDone(uint64_t generation);
  uint16_t LocalPreference(size_t address_index, size_t server_slot) const;
  // Adds a candidate unless redundant (RFC 8445 §5.1.3); returns it or null.
  LocalCandidate* AddLocalCandidate(Candidate c, Base* base, bool surface);
  std::vector<std::pair<std::string, std::string>> CandidateExtensions() const;

  // Packets.
  void OnSocketPacket(size_t socket_index, const HostSocket* hs, const SocketAddress& from,
                      absl::Span<const uint8_t> payload);
  void CountSend(const absl::Status& status) {
    if (!status.ok()) ++stats_.send_errors;
  }
  void HandlePacket(Base* base, const SocketAddress& from, absl::Span<const uint8_t> payload);
  void HandleRequest(Base* base, const SocketAddress& from, const StunMessageView& request);
  void SendOnBase(Base* base, const SocketAddress& to, absl::Span<const uint8_t> bytes);
  void SendError(Base* base, const SocketAddress& to, const StunMessageView& request, int code,
                 absl::string_view reason, const std::vector<uint8_t>* key);
  bool FromValidPair(const Base* base, const SocketAddress& from) const;

  // Check list.
  Pair* FindPair(uint64_t id);
  Pair* FindPair(const Base* base, const SocketAddress& remote);
  Candidate* FindRemote(const SocketAddress& address);
  void PairLocal(Base* base);
  void PairRemote(const Candidate& remote);
  Pair* AddPair(Base* base, const Candidate& remote, bool triggered);
  bool MakeRoomForPair(uint64_t priority);
  uint64_t ComputePairPriority(const Candidate& local, const Candidate& remote) const;
  void SortPairs();
  void SwitchRole(IceRole role);
  void EnqueueTriggered(Pair* pair, bool front);
  void EnsurePermission(Pair* pair);

  // Checks and pacing (RFC 8445 §6.1.4.2).
  void Kick();
  void OnTa();
  bool CheckAllowed(const Pair* pair) const;
  bool StartCheck(Pair* pair, bool use_candidate);
  std::vector<uint8_t> BuildCheck(const IceCredentials& local, const IceCredentials& remote,
                                  uint32_t priority, bool use_candidate, Random& rng,
                                  TransactionId* id) const;
  void OnCheckResult(uint64_t pair_id, TransactionId tid, bool use_candidate, IceRole sent_role,
                     uint32_t sent_priority,
                     absl::StatusOr<stun::StunClientTransactions::Response> result);
  void PairFailed(Pair* pair);
  void UnfreezeFoundation(const std::string& foundation);
  void CancelTransactions(Pair* pair);

  // Nomination and selection (RFC 8445 §8).
  void MaybeNominate();
  Pair* BestValidPair();
  void OnNominated(Pair* pair);
  void Select(Pair* pair);
  Pair* CurrentSelected() const;  // the selected pair if it is in this session

  // Consent (RFC 7675) and keepalives (RFC 8445 §11).
  void ScheduleConsent();
  void SendConsent();
  void OnConsentResult(uint64_t pair_id,
                       absl::StatusOr<stun::StunClientTransactions::Response> result);
  void ArmConsentDeadline();
  void ExpireConsent();
  void ScheduleKeepalive();

  // States.
  void UpdateState();
  void SetState(IceConnectionState s);
  bool AnyPending() const;
  bool AnyValid() const;
  bool BetterPending(const Pair* than) const;
  void ForgetSession();  // remote candidates, pairs; keeps the selected pair
  // Network change (see the top of this file).
  std::unique_ptr<HostSocket> MakeHostSocket(std::unique_ptr<UdpSocket> socket, size_t index);
  std::unique_ptr<Base> MakeHostBase(HostSocket& hs, size_t index);
  bool HostAddressGone(const HostSocket& hs);
  void ReplaceHostSocket(size_t index, std::unique_ptr<UdpSocket> socket);
  CandidatePairInfo Info(const Pair& p) const;
  std::vector<uint8_t> Key(absl::string_view pwd) const { return stun::ShortTermKey(pwd); }

  Env& env_;
  IceAgentConfig config_;
  Callbacks callbacks_;
  Random rng_;          // credentials, tie-breaker, foundations of prflx
  Random tid_rng_;      // STUN transaction ids
  Random consent_rng_;  // RFC 7675 §5.1 interval jitter

  IceRole role_;
  uint64_t tie_breaker_;
  IceCredentials local_creds_;
  std::optional<IceCredentials> remote_creds_;
  uint32_t generation_ = 0;  // ICE restarts so far (the "generation" extension)

  IceConnectionState state_ = IceConnectionState::kNew;
  IceGatheringState gathering_state_ = IceGatheringState::kNew;
  bool closed_ = false;
  bool failed_ = false;  // the check list failed (sticky until a restart)
  bool consent_expired_ = false;
  bool disconnected_ = false;
  bool checking_started_ = false;
  bool remote_eoc_ = false;

  // Declaration order matters for destruction: bases (transactions) and
  // TURN clients go before the sockets they send on.
  std::vector<std::unique_ptr<HostSocket>> sockets_;
  std::vector<std::unique_ptr<Turn>> turns_;
  std::vector<std::unique_ptr<Base>> bases_;
  // Retired by a network change, destroyed by graveyard_timer_ (same order).
  std::vector<std::unique_ptr<Base>> retired_bases_;
  std::vector<std::unique_ptr<Turn>> retired_turns_;
  std::vector<std::unique_ptr<HostSocket>> retired_sockets_;
  uint64_t retired_retransmissions_ = 0;
  uint64_t retired_integrity_failures_ = 0;

  uint64_t gather_generation_ = 0;
  uint64_t gather_requests_ = 0;
  int pending_gather_ = 0;
  std::vector<LocalCandidate> local_candidates_;
  std::vector<Candidate> remote_candidates_;
  uint64_t prflx_count_ = 0;  // for unique foundations
  size_t prflx_remotes_ = 0;  // learned in this session

  std::vector<std::unique_ptr<Pair>> pairs_;  // sorted by priority, then age
  std::deque<uint64_t> triggered_;
  uint64_t next_pair_id_ = 1;
  Timestamp last_check_sent_ = Timestamp::Zero();
  bool any_check_sent_ = false;
  bool last_slot_triggered_ = false;
  std::optional<Timestamp> first_valid_at_;

  Pair* selected_ = nullptr;
  // During an ICE restart, the previous session's selected pair (RFC 8445
  // §9: keep sending on it until a new pair is selected).
  std::unique_ptr<Pair> old_selected_;
  IceCredentials selected_local_creds_;
  IceCredentials selected_remote_creds_;
  Timestamp last_consent_response_;
  Timestamp last_sent_on_selected_;

  Timer ta_timer_;
  Timer nomination_timer_;
  Timer checking_timer_;
  Timer consent_timer_;
  Timer consent_deadline_timer_;
  Timer keepalive_timer_;
  Timer graveyard_timer_;

  IceAgentStats stats_;
  mutable IceAgentStats stats_view_;
  std::deque<std::function<void()>> events_;
  int depth_ = 0;
  bool flushing_ = false;
};

IceAgent::Impl::Impl(Env& env, IceAgentConfig config, Callbacks callbacks)
    : env_(env),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      rng_(env.CreateRandom(config_.name)),
      tid_rng_(env.CreateRandom(config_.name + "/stun-tid")),
      consent_rng_(env.CreateRandom(config_.name + "/consent")),
      role_(config_.role),
      ta_timer_(env),
      nomination_timer_(env),
      checking_timer_(env),
      consent_timer_(env),
      consent_deadline_timer_(env),
      keepalive_timer_(env),
      graveyard_timer_(env) {
  // RFC 8445 §14.2 / §14.3 floors.
  if (config_.ta < TimeDelta::Millis(5)) config_.ta = TimeDelta::Millis(5);
  // RFC 8445 §14.3: never an RTO below 500 ms.
  for (stun::RetransmitConfig* rc : {&config_.check_retransmit, &config_.gather_retransmit}) {
    rc->rto = std::max(rc->rto, TimeDelta::Millis(500));
    rc->rc = std::max(rc->rc, 1);
    rc->rm = std::max(rc->rm, 1);
  }
  if (config_.max_pairs < 1) config_.max_pairs = 1;
  // RFC 7675 §5.1: MUST NOT check more often than every 4 s.
  if (config_.consent_interval * 4 < TimeDelta::Seconds(5)) {
    config_.consent_interval = TimeDelta::Seconds(5);
  }
  tie_breaker_ = config_.tie_breaker != 0 ? config_.tie_breaker : rng_.Next64();
  local_creds_.ufrag = RandomIceString(rng_, kUfragLength);
  local_creds_.pwd = RandomIceString(rng_, kPwdLength);
}

IceAgent::Impl::~Impl() {
  // Timers cancel themselves; transactions and TURN clients cancel their
  // timers without calling back. Drop the user callbacks first so nothing
  // reaches user code from a destructor.
  events_.clear();
  callbacks_ = Callbacks();
  old_selected_.reset();
  pairs_.clear();
  retired_bases_.clear();
  bases_.clear();
  retired_turns_.clear();
  turns_.clear();
  retired_sockets_.clear();
  sockets_.clear();
}

void IceAgent::Impl::Flush() {
  if (flushing_) return;
  flushing_ = true;
  while (!events_.empty()) {
    auto event = std::move(events_.front());
    events_.pop_front();
    event();
  }
  flushing_ = false;
}

// ---------------------------------------------------------------------------
// Gathering (RFC 8445 §5.1.1, RFC 8838 §9)

uint16_t IceAgent::Impl::LocalPreference(size_t address_index, size_t server_slot) const {
  // RFC 8445 §5.1.2.1 with RFC 8421 §4: IPv6 above IPv4, then earlier
  // configured addresses above later ones, then (for candidates obtained
  // from servers) the server's position. Distinct per base and server, so
  // that two candidates of one type never share a priority by accident.
  const bool v6 =
      address_index < sockets_.size() && sockets_[address_index]->address.family() == IpFamily::kV6;
  const uint32_t family = v6 ? 0xC000 : 0x8000;
  const uint32_t pref =
      family - 256 * std::min<size_t>(address_index, 63) - std::min<size_t>(server_slot, 255);
  return static_cast<uint16_t>(pref);
}

std::vector<std::pair<std::string, std::string>> IceAgent::Impl::CandidateExtensions() const {
  // As Chrome does: the generation and ufrag let the peer drop candidates
  // that belong to a previous ICE session (RFC 8838 §15).
  return {{"generation", absl::StrCat(generation_)}, {"ufrag", local_creds_.ufrag}};
}

absl::Status IceAgent::Impl::GatherCandidates() {
  Entry entry(this);
  if (closed_) return absl::FailedPreconditionError("ICE agent is closed");
  if (!sockets_.empty()) {
    return absl::FailedPreconditionError(
        "candidates already gathered; use RestartIce to gather again");
  }
  std::vector<IpAddress> addresses = config_.local_addresses;
  if (addresses.empty()) addresses.push_back(IpAddress::AnyV4());
  absl::Status first_error;
  for (const IpAddress& ip : addresses) {
    auto bound = env_.BindUdp(SocketAddress(ip, 0));
    if (!bound.ok()) {
      if (first_error.ok()) first_error = bound.status();
      continue;
    }
    sockets_.push_back(MakeHostSocket(std::move(*bound), sockets_.size()));
  }
  if (sockets_.empty()) {
    return absl::UnavailableError(
        absl::StrCat("ICE: could not bind any local address: ", first_error.message()));
  }
  for (size_t i = 0; i < sockets_.size(); ++i) bases_.push_back(MakeHostBase(*sockets_[i], i));
  ScheduleGatheringRound();
  return absl::OkStatus();
}

std::unique_ptr<IceAgent::Impl::HostSocket> IceAgent::Impl::MakeHostSocket(
    std::unique_ptr<UdpSocket> socket, size_t index) {
  auto hs = std::make_unique<HostSocket>();
  hs->socket = std::move(socket);
  hs->address = hs->socket->local_address();
  hs->address_index = index;
  const HostSocket* self = hs.get();
  hs->socket->SetReceiveCallback(
      [this, index, self](const SocketAddress& from, absl::Span<const uint8_t> payload) {
        OnSocketPacket(index, self, from, payload);
      });
  UdpSocket* raw = hs->socket.get();
  hs->gather = std::make_unique<stun::StunClientTransactions>(
      env_, [this, raw](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
        CountSend(raw->SendTo(to, bytes));
      });
  return hs;
}

std::unique_ptr<IceAgent::Impl::Base> IceAgent::Impl::MakeHostBase(HostSocket& hs, size_t index) {
  auto base = std::make_unique<Base>();
  base->socket_index = index;
  base->address = hs.address;
  base->local_pref = LocalPreference(index, 0);
  UdpSocket* raw = hs.socket.get();
  Base* b = base.get();
  base->checks = std::make_unique<stun::StunClientTransactions>(
      env_, [this, raw, b](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
        if (selected_ != nullptr && selected_->base == b && selected_->remote.address == to) {
          last_sent_on_selected_ = env_.Now();
        }
        CountSend(raw->SendTo(to, bytes));
      });
  hs.base = b;
  return base;
}

void IceAgent::Impl::ScheduleGatheringRound() {
  gathering_state_ = IceGatheringState::kGathering;
  // Candidates are surfaced from a task, never from inside the public call
  // that asked for them. Only the latest request runs.
  const uint64_t token = ++gather_requests_;
  env_.PostTask([this, token] {
    Entry entry(this);
    if (closed_ || token != gather_requests_) return;
    StartGatheringRound();
  });
}

void IceAgent::Impl::StartGatheringRound() {
  ++gather_generation_;
  // One count for this round itself, so that a server step finishing
  // synchronously cannot complete gathering before every step has started.
  pending_gather_ = 1;
  gathering_state_ = IceGatheringState::kGathering;
  const uint64_t gen = gather_generation_;
  const bool all = config_.policy == IceTransportPolicy::kAll;

  // Host candidates (RFC 8445 §5.1.1.1). Under the relay-only policy they
  // exist internally (they are the bases TURN runs on) but are never
  // surfaced or paired.
  for (auto& hs : sockets_) {
    Base* b = hs->base;
    Candidate c;
    c.type = CandidateType::kHost;
    c.address = b->address;
    c.base = b->address;
    c.priority = ComputePriority(CandidateType::kHost, b->local_pref, 1);
    c.foundation = ComputeFoundation(CandidateType::kHost, b->address.ip(), SocketAddress(), "udp");
    c.extensions = CandidateExtensions();
    b->candidate = c;
    b->pairable = all;
    if (all && b->address.ip().IsUnspecified()) {
      // A wildcard bind (RealEnv with no address given): 0.0.0.0 is useless
      // to the peer, so it is not signalled; the socket still checks, and
      // the peer learns its address as peer-reflexive.
      PairLocal(b);
    } else if (all) {
      AddLocalCandidate(c, b, /*surface=*/true);
    }
  }

  for (size_t si = 0; si < sockets_.size(); ++si) {
    HostSocket& hs = *sockets_[si];
    for (size_t k = 0; k < config_.servers.size(); ++k) {
      const IceServer& server = config_.servers[k];
      if (server.address.family() != hs.address.family()) continue;
      if (server.type == IceServer::Type::kStun) {
        if (!all) continue;  // relay-only: no server-reflexive candidates
        // RFC 8489 §6.1: a plain Binding request; no credentials.
        TransactionId tid = stun::NewTransactionId(tid_rng_);
        StunMessageBuilder b(StunMethod::kBinding, StunClass::kRequest, tid);
        if (!config_.software.empty()) b.AddString(stun::attr::kSoftware, config_.software);
        b.AddFingerprint();
        stun::RetransmitConfig rc = config_.gather_retransmit;
        rc.rto = std::max(rc.rto, config_.ta * static_cast<int64_t>(config_.servers.size()));
        rc.max_rto = std::max(rc.max_rto, rc.rto);
        auto started = hs.gather->Start(
            std::move(b).Finish(), server.address, rc, std::nullopt,
            [this, gen, si, k](absl::StatusOr<stun::StunClientTransactions::Response> r) {
              Entry entry(this);
              OnServerBinding(gen, si, k, std::move(r));
            });
        if (started.ok()) ++pending_gather_;
      } else {
        // TURN (RFC 8656): one allocation per socket and server, kept
        // across ICE restarts.
        Turn* existing = nullptr;  // the latest client for this socket and server
        for (auto& t : turns_) {
          if (t->socket_index == si && t->server_index == k) existing = t.get();
        }
        if (existing != nullptr && existing->client->state() == turn::TurnState::kAllocated &&
            existing->base != nullptr) {
          SurfaceRelay(existing);
        } else if (existing != nullptr &&
                   existing->client->state() == turn::TurnState::kAllocating) {
          existing->pending_generation = gen;
          ++pending_gather_;
        } else {
          // None yet, or a failed or lost allocation: start over with a new
          // client. A dead one stays (its base may still be referenced by
          // the old selected pair) but is never paired again.
          if (existing != nullptr && existing->base != nullptr) existing->base->pairable = false;
          ++pending_gather_;
          StartTurn(si, k);
        }
      }
    }
  }
  GatherStepDone(gen);  // this round's own count
  Kick();
  UpdateState();
}

void IceAgent::Impl::GatherStepDone(uint64_t generation) {
  if (generation != gather_generation_ || pending_gather_ <= 0) return;
  if (--pending_gather_ > 0) return;
  gathering_state_ = IceGatheringState::kComplete;
  Post([this] {
    if (callbacks_.on_gathering_complete) callbacks_.on_gathering_complete();
  });
  UpdateState();
}

void IceAgent::Impl::OnServerBinding(
    uint64_t generation, size_t socket_index, size_t server_index,
    absl::StatusOr<stun::StunClientTransactions::Response> result) {
  if (closed_ || generation != gather_generation_) return;
  if (result.ok() && result->message.message_class() == StunClass::kSuccessResponse) {
    auto mapped = result->message.GetXorAddress(stun::attr::kXorMappedAddress);
    if (!mapped.ok()) mapped = result->message.GetAddress(stun::attr::kMappedAddress);
    HostSocket& hs = *sockets_[socket_index];
    if (mapped.ok() && mapped->family() == hs.address.family()) {
      // RFC 8445 §5.1.1.2: a server-reflexive candidate, based on the host
      // candidate; redundant (§5.1.3) when there is no NAT.
      Base* b = hs.base;
      const SocketAddress& server = config_.servers[server_index].address;
      Candidate c;
      c.type = CandidateType::kServerReflexive;
      c.address = *mapped;
      c.base = b->address;
      c.related = b->address;
      c.priority = ComputePriority(CandidateType::kServerReflexive, b->local_pref, 1);
      c.foundation =
          ComputeFoundation(CandidateType::kServerReflexive, b->address.ip(), server, "udp");
      c.extensions = CandidateExtensions();
      AddLocalCandidate(std::move(c), b, /*surface=*/true);
    } else {
      ++stats_.malformed_packets;
    }
  } else if (!result.ok() && absl::IsCancelled(result.status())) {
    return;
  }
  GatherStepDone(generation);
}

void IceAgent::Impl::StartTurn(size_t socket_index, size_t server_index) {
  auto t = std::make_unique<Turn>();
  t->socket_index = socket_index;
  t->server_index = server_index;
  t->server = config_.servers[server_index];
  t->pending_generation = gather_generation_;
  turn::TurnClientConfig tc;
  tc.server = t->server.address;
  tc.username = t->server.username;
  tc.password = t->server.password;
  if (!config_.software.empty()) tc.software = config_.software;
  UdpSocket* raw = sockets_[socket_index]->socket.get();
  t->client = std::make_unique<turn::TurnClient>(
      env_, tc, [this, raw](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
        CountSend(raw->SendTo(to, bytes));
      });
  Turn* turn = t.get();
  t->client->SetDataCallback(
      [this, turn](const SocketAddress& peer, absl::Span<const uint8_t> payload) {
        Entry entry(this);
        if (closed_ || turn->retired || turn->base == nullptr) return;
        HandlePacket(turn->base, peer, payload);
      });
  t->client->SetFailureCallback([this, turn](absl::Status) {
    Entry entry(this);
    if (turn->retired) return;
    // The allocation is gone (RFC 8656 §7.3 refresh failure): pairs on it
    // can no longer work.
    for (auto& p : pairs_) {
      if (p->base == turn->base && p->state != CandidatePairState::kFailed) PairFailed(p.get());
    }
    if (turn->base != nullptr) turn->base->pairable = false;
    UpdateState();
  });
  turns_.push_back(std::move(t));
  turn->client->Allocate([this, turn](absl::StatusOr<turn::TurnClient::Allocation> result) {
    Entry entry(this);
    OnAllocated(turn, std::move(result));
  });
}

void IceAgent::Impl::OnAllocated(Turn* turn, absl::StatusOr<turn::TurnClient::Allocation> result) {
  if (closed_ || turn->retired) return;
  const uint64_t gen = turn->pending_generation;
  turn->pending_generation = 0;
  if (result.ok()) {
    turn->allocation = *result;
    if (turn->base == nullptr) {
      auto base = std::make_unique<Base>();
      base->socket_index = turn->socket_index;
      base->turn = turn;
      base->address = result->relayed;
      base->local_pref =
          LocalPreference(sockets_[turn->socket_index]->address_index, 1 + turn->server_index);
      Base* b = base.get();
      base->checks = std::make_unique<stun::StunClientTransactions>(
          env_, [this, turn, b](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
            if (selected_ != nullptr && selected_->base == b && selected_->remote.address == to) {
              last_sent_on_selected_ = env_.Now();
            }
            CountSend(turn->client->SendTo(to, bytes));
          });
      turn->base = b;
      bases_.push_back(std::move(base));
    }
    if (gen == gather_generation_) SurfaceRelay(turn);
  }
  if (gen != 0) GatherStepDone(gen);
  UpdateState();
}

void IceAgent::Impl::SurfaceRelay(Turn* turn) {
  Base* b = turn->base;
  const turn::TurnClient::Allocation& a = *turn->allocation;
  const IpAddress& host_ip = sockets_[turn->socket_index]->address.ip();
  // The mapped address of the Allocate response is a server-reflexive
  // candidate too (RFC 8445 §5.1.1.2).
  if (config_.policy == IceTransportPolicy::kAll &&
      a.mapped.family() == sockets_[turn->socket_index]->address.family()) {
    Base* host = sockets_[turn->socket_index]->base;
    Candidate s;
    s.type = CandidateType::kServerReflexive;
    s.address = a.mapped;
    s.base = host->address;
    s.related = host->address;
    s.priority = ComputePriority(CandidateType::kServerReflexive, host->local_pref, 1);
    s.foundation =
        ComputeFoundation(CandidateType::kServerReflexive, host_ip, turn->server.address, "udp");
    s.extensions = CandidateExtensions();
    AddLocalCandidate(std::move(s), host, /*surface=*/true);
  }
  Candidate c;
  c.type = CandidateType::kRelayed;
  c.address = a.relayed;
  c.base = a.relayed;
  c.related = a.mapped;  // RFC 8839 §5.1: rel-addr of a relayed candidate
  c.priority = ComputePriority(CandidateType::kRelayed, b->local_pref, 1);
  c.foundation = ComputeFoundation(CandidateType::kRelayed, host_ip, turn->server.address, "udp");
  c.extensions = CandidateExtensions();
  b->candidate = c;
  b->pairable = true;
  AddLocalCandidate(std::move(c), b, /*surface=*/true);
}

IceAgent::Impl::LocalCandidate* IceAgent::Impl::AddLocalCandidate(Candidate c, Base* base,
                                                                  bool surface) {
  // RFC 8445 §5.1.3: same transport address and same base is redundant; the
  // one with the lower priority goes. Candidates arrive host first, so the
  // existing one always wins ties and higher priorities.
  for (const LocalCandidate& lc : local_candidates_) {
    if (lc.candidate.address == c.address && lc.candidate.base == c.base) return nullptr;
  }
  local_candidates_.push_back(LocalCandidate{c, base, surface});
  if (surface) {
    Post([this, c] {
      if (callbacks_.on_candidate) callbacks_.on_candidate(c);
    });
  }
  // RFC 8838 §10: pair newly gathered host and relayed candidates; a
  // server-reflexive one would be replaced by its base, which is paired
  // already (§6.1.2.4).
  if (surface && (c.type == CandidateType::kHost || c.type == CandidateType::kRelayed) &&
      base->pairable) {
    PairLocal(base);
  }
  return &local_candidates_.back();
}

// ---------------------------------------------------------------------------
// Remote side

void IceAgent::Impl::SetRemoteCredentials(const IceCredentials& remote) {
  Entry entry(this);
  if (closed_) return;
  if (remote_creds_.has_value() && remote_creds_->ufrag == remote.ufrag &&
      remote_creds_->pwd == remote.pwd) {
    return;
  }
  if (remote_creds_.has_value()) {
    // The peer restarted ICE (RFC 8445 §9): its candidates and our pairs
    // with them belong to the old session.
    ForgetSession();
  }
  remote_creds_ = remote;
  Kick();
  UpdateState();
}

Candidate* IceAgent::Impl::FindRemote(const SocketAddress& address) {
  for (Candidate& c : remote_candidates_) {
    if (c.address == address) return &c;
  }
  return nullptr;
}

absl::Status IceAgent::Impl::AddRemoteCandidate(const Candidate& candidate) {
  Entry entry(this);
  auto reject = [&](absl::Status s) {
    ++stats_.remote_candidates_rejected;
    return s;
  };
  if (closed_) return reject(absl::FailedPreconditionError("ICE agent is closed"));
  if (remote_eoc_) {
    // RFC 8838 §14: candidates after end-of-candidates MUST be ignored.
    return reject(absl::FailedPreconditionError(
        "remote candidate after end-of-candidates (RFC 8838 §14): ignored"));
  }
  if (candidate.transport != "udp") {
    return reject(absl::InvalidArgumentError(absl::StrCat(
        "remote candidate transport \"", candidate.transport, "\" is not supported (UDP only)")));
  }
  if (candidate.component != 1) {
    return reject(absl::InvalidArgumentError(absl::StrCat(
        "remote candidate component ", candidate.component, ": only component 1 is used")));
  }
  const IpAddress& ip = candidate.address.ip();
  if (ip.family() == IpFamily::kNone || ip.IsUnspecified() || ip.IsMulticast() ||
      candidate.address.port() == 0) {
    return reject(absl::InvalidArgumentError(
        absl::StrCat("remote candidate address ", candidate.address.ToString(), " is not usable")));
  }
  for (const auto& [name, value] : candidate.extensions) {
    if (name == "ufrag" && remote_creds_.has_value() && value != remote_creds_->ufrag) {
      return reject(absl::InvalidArgumentError(
          absl::StrCat("remote candidate belongs to ufrag \"", value,
                       "\", not the current remote ufrag \"", remote_creds_->ufrag, "\"")));
    }
  }
  if (Candidate* existing = FindRemote(candidate.address)) {
    if (existing->type == CandidateType::kPeerReflexive) {
      // RFC 8838 §11 step 4A: the signalled candidate replaces the
      // peer-reflexive one learned from a check; the pair keeps its
      // priority (which is what the peer computed with).
      *existing = candidate;
      for (auto& p : pairs_) {
        if (p->remote.address == candidate.address) p->remote = candidate;
      }
    }
    return absl::OkStatus();
  }
  remote_candidates_.push_back(candidate);
  PairRemote(candidate);
  Kick();
  UpdateState();
  return absl::OkStatus();
}

void IceAgent::Impl::AddRemoteEndOfCandidates() {
  Entry entry(this);
  if (closed_) return;
  remote_eoc_ = true;
  UpdateState();
}

// ---------------------------------------------------------------------------
// Check list (RFC 8445 §6.1.2)

IceAgent::Impl::Pair* IceAgent::Impl::FindPair(uint64_t id) {
  for (auto& p : pairs_) {
    if (p->id == id) return p.get();
  }
  if (old_selected_ != nullptr && old_selected_->id == id) return old_selected_.get();
  return nullptr;
}

IceAgent::Impl::Pair* IceAgent::Impl::FindPair(const Base* base, const SocketAddress& remote) {
  for (auto& p : pairs_) {
    if (p->base == base && p->remote.address == remote) return p.get();
  }
  return nullptr;
}

uint64_t IceAgent::Impl::ComputePairPriority(const Candidate& local,
                                             const Candidate& remote) const {
  // RFC 8445 §6.1.2.3: G is the controlling agent's candidate priority.
  return role_ == IceRole::kControlling ? PairPriority(local.priority, remote.priority)
                                        : PairPriority(remote.priority, local.priority);
}

void IceAgent::Impl::SortPairs() {
  // Stable: equal priorities keep creation order (ids grow), deterministic.
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const auto& a, const auto& b) { return a->priority > b->priority; });
}

void IceAgent::Impl::PairLocal(Base* base) {
  for (const Candidate& r : remote_candidates_) AddPair(base, r, /*triggered=*/false);
  Kick();
  UpdateState();
}

void IceAgent::Impl::PairRemote(const Candidate& remote) {
  for (auto& b : bases_) {
    if (b->pairable) AddPair(b.get(), remote, /*triggered=*/false);
  }
}

bool IceAgent::Impl::MakeRoomForPair(uint64_t priority) {
  if (static_cast<int>(pairs_.size()) < config_.max_pairs) return true;
  // RFC 8838 §11 step 5 / RFC 8445 §6.1.2.5: drop a failed pair first, else
  // the lowest-priority pair below the new one that is not busy.
  auto removable = [&](const Pair& p) {
    return &p != selected_ && p.transactions.empty() && !p.nominated;
  };
  for (auto it = pairs_.rbegin(); it != pairs_.rend(); ++it) {
    if ((*it)->state == CandidatePairState::kFailed && removable(**it)) {
      pairs_.erase(std::next(it).base());
      return true;
    }
  }
  for (auto it = pairs_.rbegin(); it != pairs_.rend(); ++it) {
    if ((*it)->priority < priority && removable(**it) &&
        ((*it)->state == CandidatePairState::kFrozen ||
         (*it)->state == CandidatePairState::kWaiting)) {
      pairs_.erase(std::next(it).base());
      return true;
    }
  }
  return false;
}

IceAgent::Impl::Pair* IceAgent::Impl::AddPair(Base* base, const Candidate& remote, bool triggered) {
  // RFC 8445 §6.1.2.2: same component and address family.
  if (remote.component != 1 || base->address.family() != remote.address.family()) return nullptr;
  if (Pair* existing = FindPair(base, remote.address)) return existing;  // §6.1.2.4
  const Candidate& local = base->candidate;
  const uint64_t priority = ComputePairPriority(local, remote);
  if (!MakeRoomForPair(priority)) return nullptr;

  auto p = std::make_unique<Pair>();
  p->id = next_pair_id_++;
  p->base = base;
  p->local = local;
  p->remote = remote;
  p->foundation = absl::StrCat(local.foundation, ":", remote.foundation);
  p->priority = priority;
  // RFC 8838 §12: Waiting if it tops its foundation's column (rule 1) or
  // the foundation already succeeded (rule 2); else Frozen (rule 3).
  bool top = true, succeeded = false;
  for (const auto& q : pairs_) {
    if (q->foundation != p->foundation) continue;
    if (q->priority >= priority) top = false;
    if (q->state == CandidatePairState::kSucceeded) succeeded = true;
  }
  p->state =
      (top || succeeded || triggered) ? CandidatePairState::kWaiting : CandidatePairState::kFrozen;
  Pair* raw = p.get();
  pairs_.push_back(std::move(p));
  SortPairs();
  checking_started_ = true;
  EnsurePermission(raw);
  return raw;
}

void IceAgent::Impl::EnsurePermission(Pair* pair) {
  // RFC 8656 §9: a relayed base can only reach peers it has a permission
  // for; checks on the pair wait until it is installed.
  Turn* turn = pair->base->turn;
  if (turn == nullptr) return;
  const IpAddress ip = pair->remote.address.ip();
  if (turn->client->HasPermission(ip)) return;
  for (const IpAddress& pending : turn->permission_requests) {
    if (pending == ip) return;
  }
  turn->permission_requests.push_back(ip);
  turn->client->CreatePermission(ip, [this, turn, ip](absl::Status status) {
    Entry entry(this);
    auto& reqs = turn->permission_requests;
    reqs.erase(std::remove(reqs.begin(), reqs.end(), ip), reqs.end());
    if (closed_ || turn->retired) return;
    if (!status.ok()) {
      for (auto& p : pairs_) {
        if (p->base == turn->base && p->remote.address.ip() == ip &&
            p->state != CandidatePairState::kSucceeded) {
          PairFailed(p.get());
        }
      }
    }
    Kick();
    UpdateState();
  });
}

void IceAgent::Impl::SwitchRole(IceRole role) {
  // RFC 8445 §7.2.5.1 / §7.3.1.1: a role change recomputes pair priorities.
  if (role_ == role) return;
  role_ = role;
  ++stats_.role_conflicts;
  for (auto& p : pairs_) {
    p->priority = ComputePairPriority(p->local, p->remote);
    if (role_ == IceRole::kControlled) {
      p->nomination_queued = false;
      p->nominating = false;
    }
  }
  SortPairs();
}

void IceAgent::Impl::EnqueueTriggered(Pair* pair, bool front) {
  if (pair->in_triggered_queue && !front) return;
  if (pair->in_triggered_queue) {
    triggered_.erase(std::remove(triggered_.begin(), triggered_.end(), pair->id), triggered_.end());
  }
  pair->in_triggered_queue = true;
  if (front) {
    triggered_.push_front(pair->id);
  } else {
    triggered_.push_back(pair->id);
  }
}

// ---------------------------------------------------------------------------
// Packets

void IceAgent::Impl::OnSocketPacket(size_t socket_index, const HostSocket* hs,
                                    const SocketAddress& from, absl::Span<const uint8_t> payload) {
  Entry entry(this);
  if (closed_ || hs->retired) return;
  if (payload.empty()) {
    ++stats_.malformed_packets;
    return;
  }
  // TURN traffic (responses, Data indications, ChannelData) from a server
  // this socket allocated on goes to its client (RFC 7983 §7, RFC 8656).
  const uint8_t first = payload[0];
  if (IsStunFirstByte(first) || IsChannelDataFirstByte(first)) {
    for (auto& t : turns_) {
      if (t->socket_index == socket_index && t->server.address == from &&
          t->client->HandlePacket(payload)) {
        return;
      }
    }
  }
  HandlePacket(sockets_[socket_index]->base, from, payload);
}

void IceAgent::Impl::HandlePacket(Base* base, const SocketAddress& from,
                                  absl::Span<const uint8_t> payload) {
  if (payload.empty()) {
    ++stats_.malformed_packets;
    return;
  }
  if (IsStunFirstByte(payload[0])) {
    auto msg = StunMessageView::Parse(payload);
    if (!msg.ok()) {
      ++stats_.malformed_packets;
      return;
    }
    switch (msg->message_class()) {
      case StunClass::kRequest:
        HandleRequest(base, from, *msg);
        return;
      case StunClass::kIndication:
        // RFC 8445 §11: Binding indications are keepalives; nothing to do.
        return;
      case StunClass::kSuccessResponse:
      case StunClass::kErrorResponse:
        if (base->checks->HandleResponse(*msg, from)) return;
        if (base->turn == nullptr &&
            sockets_[base->socket_index]->gather->HandleResponse(*msg, from)) {
          return;
        }
        ++stats_.unknown_transaction;
        return;
    }
    return;
  }
  // Application data (DTLS, SRTP, ...): only from a validated pair, so an
  // off-path sender cannot inject into the stream (RFC 8445 §12.1, RFC 7675).
  if (!FromValidPair(base, from)) {
    ++stats_.unknown_source;
    return;
  }
  ++stats_.data_received;
  if (callbacks_.on_data) callbacks_.on_data(payload);
}

bool IceAgent::Impl::FromValidPair(const Base* base, const SocketAddress& from) const {
  if (consent_expired_) return false;
  if (selected_ != nullptr && selected_->base == base && selected_->remote.address == from) {
    return true;
  }
  for (const auto& p : pairs_) {
    if (p->valid && p->base == base && p->remote.address == from) return true;
  }
  return false;
}

void IceAgent::Impl::SendOnBase(Base* base, const SocketAddress& to,
                                absl::Span<const uint8_t> bytes) {
  if (selected_ != nullptr && selected_->base == base && selected_->remote.address == to) {
    last_sent_on_selected_ = env_.Now();
  }
  if (base->turn != nullptr) {
    CountSend(base->turn->client->SendTo(to, bytes));
  } else {
    CountSend(sockets_[base->socket_index]->socket->SendTo(to, bytes));
  }
}

void IceAgent::Impl::SendError(Base* base, const SocketAddress& to, const StunMessageView& request,
                               int code, absl::string_view reason,
                               const std::vector<uint8_t>* key) {
  StunMessageBuilder b = stun::MakeErrorResponse(request, code, reason);
  if (!config_.software.empty()) b.AddString(stun::attr::kSoftware, config_.software);
  // An authenticated request gets an authenticated error (RFC 8489 §9.1.3).
  if (key != nullptr) b.AddMessageIntegrity(*key);
  b.AddFingerprint();
  SendOnBase(base, to, b.bytes());
}

void IceAgent::Impl::HandleRequest(Base* base, const SocketAddress& from,
                                   const StunMessageView& req) {
  if (req.method() != StunMethod::kBinding) {
    SendError(base, from, req, stun::error::kBadRequest, "Only Binding is served here", nullptr);
    ++stats_.malformed_packets;
    return;
  }
  // Under the relay-only policy the host address must not be revealed by
  // answering on it.
  if (!base->pairable && base->turn == nullptr && config_.policy == IceTransportPolicy::kRelay) {
    return;
  }
  // RFC 8489 §9.1.3: USERNAME and MESSAGE-INTEGRITY are required (400).
  auto username = req.GetString(stun::attr::kUsername);
  if (!username.ok() || !req.Has(stun::attr::kMessageIntegrity)) {
    SendError(base, from, req, stun::error::kBadRequest, "Missing USERNAME or MESSAGE-INTEGRITY",
              nullptr);
    ++stats_.malformed_packets;
    return;
  }
  // RFC 8445 §7.3: USERNAME is "<our ufrag>:<their ufrag>". During a
  // restart the previous session's credentials stay valid for the pair
  // still carrying data (consent checks from the peer, RFC 7675 §5.1).
  const size_t colon = username->find(':');
  const std::string lhs = colon == std::string::npos ? *username : username->substr(0, colon);
  const std::string rhs = colon == std::string::npos ? "" : username->substr(colon + 1);
  const IceCredentials* creds = nullptr;
  bool old_session = false;
  if (lhs == local_creds_.ufrag) {
    creds = &local_creds_;
  } else if (old_selected_ != nullptr && lhs == selected_local_creds_.ufrag) {
    creds = &selected_local_creds_;
    old_session = true;
  }
  if (creds == nullptr) {
    ++stats_.integrity_failures;
    SendError(base, from, req, stun::error::kUnauthorized, "Unknown USERNAME", nullptr);
    return;
  }
  const std::vector<uint8_t> key = Key(creds->pwd);
  if (req.CheckIntegrity(key) != stun::IntegrityResult::kOk) {
    // RFC 8489 §9.1.3: 401, no integrity on the response; counted.
    ++stats_.integrity_failures;
    SendError(base, from, req, stun::error::kUnauthorized, "Bad MESSAGE-INTEGRITY", nullptr);
    return;
  }
  // RFC 8489 §14: unknown comprehension-required attributes get 420.
  if (!req.UnknownComprehensionRequired().empty()) {
    SendError(base, from, req, stun::error::kUnknownAttribute, "Unknown attribute", &key);
    ++stats_.malformed_packets;
    return;
  }
  auto priority = req.GetUint32(stun::attr::kPriority);
  auto controlling = req.GetUint64(stun::attr::kIceControlling);
  auto controlled = req.GetUint64(stun::attr::kIceControlled);
  if (!priority.ok() || (!controlling.ok() && !controlled.ok())) {
    // RFC 8445 §7.1.1 / §7.1.2: PRIORITY and one role attribute are
    // mandatory in a check.
    SendError(base, from, req, stun::error::kBadRequest,
              "Missing PRIORITY or ICE-CONTROLLING/ICE-CONTROLLED", &key);
    ++stats_.malformed_packets;
    return;
  }
  ++stats_.checks_received;

  if (!old_session) {
    // RFC 8445 §7.3.1.1: role conflict.
    if (role_ == IceRole::kControlling && controlling.ok()) {
      if (tie_breaker_ >= *controlling) {
        ++stats_.role_conflicts;
        SendError(base, from, req, stun::error::kRoleConflict, "Role Conflict", &key);
        return;
      }
      SwitchRole(IceRole::kControlled);
    } else if (role_ == IceRole::kControlled && controlled.ok()) {
      if (tie_breaker_ >= *controlled) {
        SwitchRole(IceRole::kControlling);
      } else {
        ++stats_.role_conflicts;
        SendError(base, from, req, stun::error::kRoleConflict, "Role Conflict", &key);
        return;
      }
    }
  }

  // RFC 8445 §7.3.1.2: success response with the source address.
  StunMessageBuilder resp(StunMethod::kBinding, StunClass::kSuccessResponse, req.transaction_id());
  resp.AddXorAddress(stun::attr::kXorMappedAddress, from);
  if (!config_.software.empty()) resp.AddString(stun::attr::kSoftware, config_.software);
  resp.AddMessageIntegrity(key);
  resp.AddFingerprint();
  SendOnBase(base, from, resp.bytes());

  if (old_session) return;  // only keeps the old pair's consent alive
  if (!base->pairable) return;

  // RFC 8445 §7.3.1.3: a source we do not know is a peer-reflexive remote
  // candidate, with the priority from the request.
  Candidate* remote = FindRemote(from);
  if (remote == nullptr) {
    if (prflx_remotes_ >= kMaxPeerReflexiveRemotes) {
      ++stats_.remote_candidates_rejected;
      return;
    }
    ++prflx_remotes_;
    Candidate c;
    c.type = CandidateType::kPeerReflexive;
    c.address = from;
    c.priority = *priority;
    c.foundation = absl::StrCat("prflx", ++prflx_count_);  // §7.3.1.3: arbitrary, unique
    c.component = 1;
    remote_candidates_.push_back(c);
    remote = &remote_candidates_.back();
  }
  const Candidate remote_copy = *remote;

  // RFC 8445 §7.3.1.4: triggered check.
  Pair* pair = FindPair(base, from);
  if (pair == nullptr) {
    pair = AddPair(base, remote_copy, /*triggered=*/true);
    if (pair != nullptr) {
      EnqueueTriggered(pair, false);
      ++stats_.triggered_checks;
    }
  } else if (pair->state != CandidatePairState::kSucceeded) {
    // In-Progress: the running transaction keeps going (its response still
    // counts, its timeout alone no longer fails the pair) and a new check
    // is queued. Waiting, Frozen, Failed: queued.
    pair->state = CandidatePairState::kWaiting;
    if (!pair->in_triggered_queue) {
      EnqueueTriggered(pair, false);
      ++stats_.triggered_checks;
    }
  }
  // RFC 8445 §7.3.1.5: nomination by the controlling peer.
  if (pair != nullptr && req.Has(stun::attr::kUseCandidate) && role_ == IceRole::kControlled) {
    if (pair->state == CandidatePairState::kSucceeded && pair->valid) {
      OnNominated(pair);
    } else {
      pair->nominate_on_success = true;
    }
  }
  Kick();
  UpdateState();
}

// ---------------------------------------------------------------------------
// Checks (RFC 8445 §6.1.4.2, §7.2)

void IceAgent::Impl::Kick() {
  if (closed_ || ta_timer_.active() || !remote_creds_.has_value()) return;
  // One check per Ta across the agent (RFC 8445 §14.2).
  TimeDelta delay = TimeDelta::Zero();
  if (any_check_sent_) delay = last_check_sent_ + config_.ta - env_.Now();
  ta_timer_.Start(delay, [this] {
    Entry entry(this);
    OnTa();
  });
}

bool IceAgent::Impl::CheckAllowed(const Pair* pair) const {
  // RFC 8445 §8.1.2: after selection, ordinary checks stop — except, with
  // renomination, for pairs that could replace the selected one. The
  // controlled agent keeps checking those too: behind port-restricted NATs
  // its own checks are what open the path for the controlling agent's.
  const Pair* current = CurrentSelected();
  if (current == nullptr) return true;
  return config_.renomination && pair->priority > current->priority;
}

void IceAgent::Impl::OnTa() {
  if (closed_ || !remote_creds_.has_value()) return;
  bool sent = false;

  // 1. The triggered-check queue (RFC 8445 §6.1.4.2 step 1).
  auto try_triggered = [&] {
    while (!sent && !triggered_.empty()) {
      Pair* p = FindPair(triggered_.front());
      triggered_.pop_front();
      if (p == nullptr) continue;
      p->in_triggered_queue = false;
      if (p->nomination_queued) {
        p->nomination_queued = false;
        if (role_ == IceRole::kControlling && p->valid) sent = StartCheck(p, true);
      } else if (p->state == CandidatePairState::kWaiting) {
        sent = StartCheck(p, false);
      }
    }
  };
  // Ordinary pairs: those not waiting in the triggered queue.
  auto ordinary = [&](const Pair& p) { return !p.in_triggered_queue && CheckAllowed(&p); };
  auto try_ordinary = [&] {
    // 2. With nothing Waiting, per foundation with nothing Waiting or
    // In-Progress, its highest-priority Frozen pair becomes Waiting.
    bool any_waiting = false;
    for (const auto& p : pairs_) {
      if (p->state == CandidatePairState::kWaiting && ordinary(*p)) any_waiting = true;
    }
    if (!any_waiting) {
      std::vector<std::string> busy;
      for (const auto& p : pairs_) {
        if (p->state == CandidatePairState::kWaiting ||
            p->state == CandidatePairState::kInProgress) {
          busy.push_back(p->foundation);
        }
      }
      for (auto& p : pairs_) {  // by priority: the first per foundation wins
        if (p->state != CandidatePairState::kFrozen || !ordinary(*p)) continue;
        if (std::find(busy.begin(), busy.end(), p->foundation) != busy.end()) continue;
        p->state = CandidatePairState::kWaiting;
        busy.push_back(p->foundation);
      }
    }
    // 3. The highest-priority Waiting pair.
    for (auto& p : pairs_) {
      if (p->state == CandidatePairState::kWaiting && ordinary(*p) && StartCheck(p.get(), false)) {
        sent = true;
        return;
      }
    }
  };

  // Triggered checks come first — except that right after a triggered
  // check, the slot goes to an ordinary pair if one is ready: peers behind
  // symmetric NATs can keep the triggered queue full indefinitely (see
  // kMaxPeerReflexiveRemotes), which would starve e.g. the relayed pairs.
  // Nominations are never deferred.
  const Pair* front = triggered_.empty() ? nullptr : FindPair(triggered_.front());
  const bool ordinary_turn = last_slot_triggered_ && front != nullptr && !front->nomination_queued;
  if (ordinary_turn) {
    try_ordinary();
    last_slot_triggered_ = false;
    if (!sent) {
      try_triggered();
      last_slot_triggered_ = sent;
    }
  } else {
    try_triggered();
    last_slot_triggered_ = sent;
    if (!sent) try_ordinary();
  }

  if (sent) {
    last_check_sent_ = env_.Now();
    any_check_sent_ = true;
    ta_timer_.Start(config_.ta, [this] {
      Entry entry(this);
      OnTa();
    });
  }
  // 4. Nothing to send: the timer stays off until Kick().
  UpdateState();
}

std::vector<uint8_t> IceAgent::Impl::BuildCheck(const IceCredentials& local,
                                                const IceCredentials& remote, uint32_t priority,
                                                bool use_candidate, Random& rng,
                                                TransactionId* id) const {
  // RFC 8445 §7.1.1, §7.2.2: USERNAME "<remote ufrag>:<local ufrag>",
  // PRIORITY (as a peer-reflexive candidate), the role with the
  // tie-breaker, USE-CANDIDATE when nominating; short-term
  // MESSAGE-INTEGRITY with the remote password; FINGERPRINT.
  *id = stun::NewTransactionId(rng);
  StunMessageBuilder b(StunMethod::kBinding, StunClass::kRequest, *id);
  b.AddString(stun::attr::kUsername, absl::StrCat(remote.ufrag, ":", local.ufrag));
  b.AddUint32(stun::attr::kPriority, priority);
  if (role_ == IceRole::kControlling) {
    b.AddUint64(stun::attr::kIceControlling, tie_breaker_);
    if (use_candidate) b.AddFlag(stun::attr::kUseCandidate);
  } else {
    b.AddUint64(stun::attr::kIceControlled, tie_breaker_);
  }
  if (!config_.software.empty()) b.AddString(stun::attr::kSoftware, config_.software);
  b.AddMessageIntegrity(Key(remote.pwd));
  b.AddFingerprint();
  return std::move(b).Finish();
}

bool IceAgent::Impl::StartCheck(Pair* pair, bool use_candidate) {
  if (!remote_creds_.has_value()) return false;
  if (Turn* turn = pair->base->turn) {
    if (!turn->client->HasPermission(pair->remote.address.ip())) {
      EnsurePermission(pair);
      return false;  // stays Waiting until the permission is installed
    }
  }
  // RFC 8445 §7.1.1: PRIORITY is what a peer-reflexive candidate from this
  // base would get.
  const uint32_t prflx_priority =
      ComputePriority(CandidateType::kPeerReflexive, pair->base->local_pref, 1);
  TransactionId tid;
  std::vector<uint8_t> bytes =
      BuildCheck(local_creds_, *remote_creds_, prflx_priority, use_candidate, tid_rng_, &tid);
  // RFC 8445 §14.3: RTO = MAX(500 ms, Ta·(Waiting + In-Progress)).
  int64_t active = 0;
  for (const auto& p : pairs_) {
    if (p->state == CandidatePairState::kWaiting || p->state == CandidatePairState::kInProgress) {
      ++active;
    }
  }
  stun::RetransmitConfig rc = config_.check_retransmit;
  rc.rto = std::max(rc.rto, config_.ta * active);
  rc.max_rto = std::max(rc.max_rto, rc.rto);
  const uint64_t id = pair->id;
  const IceRole sent_role = role_;
  // Record the transaction before starting it: the send inside Start may
  // (in principle) produce a synchronous response.
  pair->transactions.push_back(tid);
  if (pair->state != CandidatePairState::kSucceeded) pair->state = CandidatePairState::kInProgress;
  if (use_candidate) {
    pair->nominating = true;
    pair->nomination_sent_at = env_.Now();
  }
  auto started = pair->base->checks->Start(
      std::move(bytes), pair->remote.address, rc, Key(remote_creds_->pwd),
      [this, id, tid, use_candidate, sent_role,
       prflx_priority](absl::StatusOr<stun::StunClientTransactions::Response> r) {
        Entry entry(this);
        OnCheckResult(id, tid, use_candidate, sent_role, prflx_priority, std::move(r));
      });
  if (!started.ok()) {
    Pair* p = FindPair(id);
    if (p != nullptr) {
      auto& t = p->transactions;
      t.erase(std::remove(t.begin(), t.end(), tid), t.end());
      PairFailed(p);
    }
    return false;
  }
  ++stats_.checks_sent;
  return true;
}

void IceAgent::Impl::CancelTransactions(Pair* pair) {
  std::vector<TransactionId> txs;
  txs.swap(pair->transactions);
  for (const TransactionId& t : txs) pair->base->checks->Cancel(t);
}

void IceAgent::Impl::PairFailed(Pair* pair) {
  pair->state = CandidatePairState::kFailed;
  pair->valid = false;
  pair->nominating = false;
  pair->nomination_queued = false;
  pair->nominate_on_success = false;
}

void IceAgent::Impl::UnfreezeFoundation(const std::string& foundation) {
  // RFC 8445 §7.2.5.3.3.
  for (auto& p : pairs_) {
    if (p->foundation == foundation && p->state == CandidatePairState::kFrozen) {
      p->state = CandidatePairState::kWaiting;
    }
  }
}

void IceAgent::Impl::OnCheckResult(uint64_t pair_id, TransactionId tid, bool use_candidate,
                                   IceRole sent_role, uint32_t sent_priority,
                                   absl::StatusOr<stun::StunClientTransactions::Response> result) {
  Pair* pair = FindPair(pair_id);
  if (pair == nullptr) return;
  auto& txs = pair->transactions;
  const bool was_pending = std::find(txs.begin(), txs.end(), tid) != txs.end();
  txs.erase(std::remove(txs.begin(), txs.end(), tid), txs.end());
  if (closed_ || !was_pending) return;
  if (!result.ok()) {
    if (absl::IsCancelled(result.status())) return;
    // Timed out (RFC 8445 §7.2.5.2.3 / RFC 8489 §6.2.1).
    if (use_candidate && pair->nominated) {
      // A later nomination of this pair already succeeded.
    } else if (use_candidate && pair->valid && pair->last_success > pair->nomination_sent_at) {
      // Loss ate every answer to the nomination, yet another check on the
      // pair succeeded meanwhile: the path works, so nominate again rather
      // than fail it (under heavy loss the one-transaction rule of
      // RFC 8445 §7.2.5.2.3 would give up on a working pair).
      pair->nominating = false;
      ++stats_.nomination_retries;
      MaybeNominate();
      Kick();
    } else if (use_candidate) {
      // The nomination went unanswered: the pair cannot be relied on.
      PairFailed(pair);
    } else if (pair->transactions.empty() && pair->state != CandidatePairState::kSucceeded &&
               pair->state != CandidatePairState::kWaiting) {
      // A Waiting pair has a newer check queued (§7.3.1.4); let it decide.
      PairFailed(pair);
    }
    if (pair->state == CandidatePairState::kFailed) {
      // Maybe a new best pair to nominate, or a foundation to unfreeze.
      MaybeNominate();
      Kick();
    }
    UpdateState();
    return;
  }
  ++stats_.responses_received;
  const StunMessageView& msg = result->message;
  if (msg.message_class() == StunClass::kErrorResponse) {
    auto err = msg.GetErrorCode();
    if (err.ok() && err->code == stun::error::kRoleConflict) {
      // RFC 8445 §7.2.5.1: switch to the opposite of the role we sent,
      // unless we already did, and retry the pair.
      if (role_ == sent_role) {
        SwitchRole(sent_role == IceRole::kControlling ? IceRole::kControlled
                                                      : IceRole::kControlling);  // counts
      } else {
        ++stats_.role_conflicts;
      }
      if (pair->state != CandidatePairState::kSucceeded) {
        pair->state = CandidatePairState::kWaiting;
      }
      EnqueueTriggered(pair, false);
      Kick();
    } else {
      // §7.2.5.2.4: any other error is unrecoverable for the pair.
      PairFailed(pair);
      MaybeNominate();
      Kick();
    }
    UpdateState();
    return;
  }
  // §7.2.5.2.1: the response must come from where the request went (the
  // per-base transaction table already guarantees the local side).
  if (result->from != pair->remote.address) {
    PairFailed(pair);
    MaybeNominate();
    Kick();
    UpdateState();
    return;
  }
  auto mapped = msg.GetXorAddress(stun::attr::kXorMappedAddress);
  if (!mapped.ok()) {
    ++stats_.malformed_packets;
    PairFailed(pair);
    MaybeNominate();
    UpdateState();
    return;
  }
  // §7.2.5.3.1: the mapped address names the local candidate the peer saw;
  // an unknown one is a new peer-reflexive local candidate (not signalled,
  // RFC 8838 §9).
  const LocalCandidate* seen = nullptr;
  for (const LocalCandidate& lc : local_candidates_) {
    if (lc.candidate.address == *mapped) seen = &lc;
  }
  if (seen == nullptr) {
    Candidate c;
    c.type = CandidateType::kPeerReflexive;
    c.address = *mapped;
    c.base = pair->base->address;
    c.related = pair->base->address;
    c.priority = sent_priority;
    c.foundation =
        ComputeFoundation(CandidateType::kPeerReflexive, pair->base->address.ip(), {}, "udp");
    c.extensions = CandidateExtensions();
    seen = AddLocalCandidate(std::move(c), pair->base, /*surface=*/false);
  }
  if (seen != nullptr) pair->valid_local = seen->candidate;

  const bool newly_valid = !pair->valid;
  pair->state = CandidatePairState::kSucceeded;
  pair->valid = true;
  pair->rtt = result->rtt;
  pair->last_success = env_.Now();
  if (!first_valid_at_.has_value()) first_valid_at_ = env_.Now();
  if (newly_valid) UnfreezeFoundation(pair->foundation);
  if (pair == selected_ && !consent_expired_) {
    // Any authenticated success from the selected 5-tuple is consent
    // (RFC 7675 §5.1).
    last_consent_response_ = env_.Now();
    ArmConsentDeadline();
    disconnected_ = false;
  }
  if (use_candidate) {
    pair->nominating = false;
    if (role_ == IceRole::kControlling) OnNominated(pair);  // §7.2.5.3.4
  } else if (pair->nominating && role_ == IceRole::kControlling) {
    // A plain check on this pair got through while the nomination is still
    // unanswered: loss is eating its answers, and its retransmissions drift
    // ever further apart (RFC 8489 §6.2.1). Nominate again now; the first
    // nomination still counts if an answer to it turns up.
    pair->nominating = false;
    ++stats_.nomination_retries;
  }
  if (role_ == IceRole::kControlled && pair->nominate_on_success) {
    pair->nominate_on_success = false;
    OnNominated(pair);  // §7.3.1.5
  }
  MaybeNominate();
  Kick();
  UpdateState();
}

// ---------------------------------------------------------------------------
// Nomination and selection (RFC 8445 §8)

IceAgent::Impl::Pair* IceAgent::Impl::CurrentSelected() const {
  if (selected_ == nullptr || selected_ == old_selected_.get()) return nullptr;
  return selected_;
}

IceAgent::Impl::Pair* IceAgent::Impl::BestValidPair() {
  for (auto& p : pairs_) {  // sorted by priority
    if (p->valid && p->state == CandidatePairState::kSucceeded) return p.get();
  }
  return nullptr;
}

void IceAgent::Impl::MaybeNominate() {
  if (closed_ || consent_expired_ || role_ != IceRole::kControlling || !remote_creds_.has_value()) {
    return;
  }
  Pair* best = BestValidPair();
  if (best == nullptr) return;
  for (const auto& p : pairs_) {
    if (p->nominating || p->nomination_queued) return;  // one at a time
  }
  if (Pair* current = CurrentSelected()) {
    if (!config_.renomination || best == current || best->priority <= current->priority ||
        best->nominated) {
      return;
    }
    best->nomination_queued = true;
    EnqueueTriggered(best, /*front=*/true);
    Kick();
    return;
  }
  // Stopping criterion (§8.1.1 leaves it to us): nothing better still to be
  // checked, or the wait since the first valid pair is over.
  bool better_pending = false;
  for (const auto& p : pairs_) {
    if (p->priority <= best->priority) break;
    if (p->state == CandidatePairState::kFrozen || p->state == CandidatePairState::kWaiting ||
        p->state == CandidatePairState::kInProgress) {
      better_pending = true;
      break;
    }
  }
  const Timestamp deadline = *first_valid_at_ + config_.nomination_timeout;
  if (better_pending && env_.Now() < deadline) {
    if (!nomination_timer_.active()) {
      nomination_timer_.Start(deadline - env_.Now(), [this] {
        Entry entry(this);
        MaybeNominate();
        UpdateState();
      });
    }
    return;
  }
  nomination_timer_.Stop();
  best->nomination_queued = true;
  EnqueueTriggered(best, /*front=*/true);
  Kick();
}

void IceAgent::Impl::OnNominated(Pair* pair) {
  pair->nominated = true;
  // RFC 8445 §8.1.1: with several nominated pairs, use the highest-priority
  // one.
  Pair* best = nullptr;
  for (auto& p : pairs_) {
    if (p->nominated && p->valid) {
      best = p.get();
      break;
    }
  }
  if (best != nullptr && best != selected_) Select(best);
}

void IceAgent::Impl::Select(Pair* pair) {
  if (consent_expired_ || !remote_creds_.has_value()) return;
  const bool ending_restart = old_selected_ != nullptr;
  selected_ = pair;
  selected_local_creds_ = local_creds_;
  selected_remote_creds_ = *remote_creds_;
  if (ending_restart) {
    // The previous session's pair is done; its consent checks stop.
    CancelTransactions(old_selected_.get());
    old_selected_.reset();
  }
  ++stats_.selected_pair_changes;
  // Through a relay, data is cheaper in ChannelData than in Send/Data
  // indications (RFC 8656 §12); until the binding lands, TurnClient::SendTo
  // uses indications.
  if (Turn* turn = pair->base->turn) {
    turn->client->BindChannel(pair->remote.address, [](absl::Status) {});
  }
  // Consent starts from the check that just succeeded.
  disconnected_ = false;
  last_consent_response_ = env_.Now();
  last_sent_on_selected_ = env_.Now();
  ArmConsentDeadline();
  ScheduleConsent();
  ScheduleKeepalive();
  CandidatePairInfo info = Info(*pair);
  Post([this, info] {
    if (callbacks_.on_selected_pair) callbacks_.on_selected_pair(info);
  });
  UpdateState();
}

// ---------------------------------------------------------------------------
// Consent freshness (RFC 7675) and keepalives (RFC 8445 §11)

void IceAgent::Impl::ScheduleConsent() {
  // RFC 7675 §5.1: uniformly 0.8..1.2 of the interval, in integer steps of
  // 1/1000 so no floating point enters the schedule.
  const int64_t permille = consent_rng_.UniformRange(800, 1200);
  const TimeDelta delay = TimeDelta::Nanos(config_.consent_interval.ns() / 1000 * permille);
  consent_timer_.Start(delay, [this] {
    Entry entry(this);
    SendConsent();
    if (selected_ != nullptr && !consent_expired_ && !closed_) ScheduleConsent();
  });
}

void IceAgent::Impl::SendConsent() {
  if (selected_ == nullptr || consent_expired_ || closed_) return;
  Pair* pair = selected_;
  if (Turn* turn = pair->base->turn) {
    if (!turn->client->HasPermission(pair->remote.address.ip())) EnsurePermission(pair);
  }
  const uint32_t prflx_priority =
      ComputePriority(CandidateType::kPeerReflexive, pair->base->local_pref, 1);
  TransactionId tid;
  std::vector<uint8_t> bytes = BuildCheck(selected_local_creds_, selected_remote_creds_,
                                          prflx_priority, false, tid_rng_, &tid);
  // §5.1: each consent request is sent once, with a new transaction id.
  stun::RetransmitConfig rc;
  rc.rto = kConsentRto;
  rc.rc = 1;
  rc.rm = kConsentRm;
  const uint64_t id = pair->id;
  pair->transactions.push_back(tid);
  auto started = pair->base->checks->Start(
      std::move(bytes), pair->remote.address, rc, Key(selected_remote_creds_.pwd),
      [this, id, tid](absl::StatusOr<stun::StunClientTransactions::Response> r) {
        Entry entry(this);
        Pair* p = FindPair(id);
        if (p != nullptr) {
          auto& t = p->transactions;
          t.erase(std::remove(t.begin(), t.end(), tid), t.end());
        }
        OnConsentResult(id, std::move(r));
      });
  if (started.ok()) {
    ++stats_.consent_checks_sent;
  } else {
    auto& t = pair->transactions;
    t.erase(std::remove(t.begin(), t.end(), tid), t.end());
  }
}

void IceAgent::Impl::OnConsentResult(
    uint64_t pair_id, absl::StatusOr<stun::StunClientTransactions::Response> result) {
  if (closed_ || consent_expired_ || selected_ == nullptr || selected_->id != pair_id) return;
  if (result.ok()) {
    ++stats_.responses_received;
    const StunMessageView& msg = result->message;
    if (msg.message_class() == StunClass::kSuccessResponse &&
        result->from == selected_->remote.address) {
      last_consent_response_ = env_.Now();
      selected_->rtt = result->rtt;
      ArmConsentDeadline();
      if (disconnected_) {
        disconnected_ = false;
        UpdateState();
      }
      return;
    }
    auto err = msg.GetErrorCode();
    if (msg.message_class() == StunClass::kErrorResponse && err.ok() &&
        err->code == stun::error::kForbidden) {
      // RFC 7675 §5.2: an authenticated 403 revokes consent at once.
      ExpireConsent();
      return;
    }
  } else if (absl::IsCancelled(result.status())) {
    return;
  }
  // Unanswered (or refused): disconnected once the silence is long enough.
  if (env_.Now() - last_consent_response_ >= config_.disconnected_timeout && !disconnected_) {
    disconnected_ = true;
    UpdateState();
  }
}

void IceAgent::Impl::ArmConsentDeadline() {
  const TimeDelta left = last_consent_response_ + config_.consent_timeout - env_.Now();
  consent_deadline_timer_.Start(left, [this] {
    Entry entry(this);
    ExpireConsent();
  });
}

void IceAgent::Impl::ExpireConsent() {
  if (consent_expired_ || selected_ == nullptr) return;
  // RFC 7675 §5.1: cease transmission on the 5-tuple; discard outstanding
  // consent transactions. Only an ICE restart gets out of this.
  consent_expired_ = true;
  ++stats_.consent_expired;
  Pair* pair = selected_;
  CancelTransactions(pair);
  PairFailed(pair);
  consent_timer_.Stop();
  consent_deadline_timer_.Stop();
  keepalive_timer_.Stop();
  selected_ = nullptr;
  old_selected_.reset();
  disconnected_ = false;
  UpdateState();
}

void IceAgent::Impl::ScheduleKeepalive() {
  const TimeDelta left = last_sent_on_selected_ + config_.keepalive_interval - env_.Now();
  keepalive_timer_.Start(left, [this] {
    Entry entry(this);
    if (selected_ == nullptr || consent_expired_ || closed_) return;
    if (env_.Now() - last_sent_on_selected_ >= config_.keepalive_interval) {
      // RFC 8445 §11: a Binding indication, FINGERPRINT only.
      StunMessageBuilder b(StunMethod::kBinding, StunClass::kIndication,
                           stun::NewTransactionId(tid_rng_));
      b.AddFingerprint();
      SendOnBase(selected_->base, selected_->remote.address, b.bytes());
      ++stats_.keepalives_sent;
    }
    ScheduleKeepalive();
  });
}

// ---------------------------------------------------------------------------
// States

bool IceAgent::Impl::AnyPending() const {
  if (!triggered_.empty()) return true;
  for (const auto& p : pairs_) {
    if (p->state == CandidatePairState::kFrozen || p->state == CandidatePairState::kWaiting ||
        p->state == CandidatePairState::kInProgress || !p->transactions.empty()) {
      return true;
    }
  }
  return false;
}

bool IceAgent::Impl::AnyValid() const {
  for (const auto& p : pairs_) {
    if (p->valid) return true;
  }
  return false;
}

bool IceAgent::Impl::BetterPending(const Pair* than) const {
  // Only with renomination are pairs that could replace the selected one
  // still checked; otherwise the checks are over (§8.1.2).
  if (!config_.renomination) return false;
  for (const auto& p : pairs_) {
    if (p->priority <= than->priority) break;
    if (p->state == CandidatePairState::kFrozen || p->state == CandidatePairState::kWaiting ||
        p->state == CandidatePairState::kInProgress || p->nominating || p->nomination_queued) {
      return true;
    }
  }
  return false;
}

void IceAgent::Impl::SetState(IceConnectionState s) {
  if (s == state_) return;
  state_ = s;
  Post([this, s] {
    if (callbacks_.on_state) callbacks_.on_state(s);
  });
}

void IceAgent::Impl::UpdateState() {
  if (closed_) return;
  if (consent_expired_ || failed_) {
    checking_timer_.Stop();
    SetState(IceConnectionState::kFailed);
    return;
  }
  if (Pair* current = CurrentSelected()) {
    checking_timer_.Stop();
    if (disconnected_) {
      SetState(IceConnectionState::kDisconnected);
    } else if (gathering_state_ == IceGatheringState::kComplete && remote_eoc_ &&
               !BetterPending(current)) {
      SetState(IceConnectionState::kCompleted);
    } else {
      SetState(IceConnectionState::kConnected);
    }
    return;
  }
  if (selected_ != nullptr && disconnected_) {  // the old pair, mid-restart
    SetState(IceConnectionState::kDisconnected);
    return;
  }
  if (!checking_started_) {
    // Before any pair: new (or, mid-restart, whatever the old pair shows).
    return;
  }
  const bool pending = AnyPending();
  const bool valid = AnyValid();
  if (!pending && !valid && gathering_state_ == IceGatheringState::kComplete && remote_eoc_) {
    // RFC 8838 §8: every pair failed, nothing more to gather, and the peer
    // said it has no more candidates.
    failed_ = true;
    checking_timer_.Stop();
    SetState(IceConnectionState::kFailed);
    return;
  }
  SetState(IceConnectionState::kChecking);
  if (!pending && !valid) {
    // Without end-of-candidates, give up after checking_timeout of having
    // nothing to check and nothing that worked.
    if (!checking_timer_.active()) {
      checking_timer_.Start(config_.checking_timeout, [this] {
        Entry entry(this);
        if (closed_ || CurrentSelected() != nullptr || AnyPending() || AnyValid()) return;
        failed_ = true;
        UpdateState();
      });
    }
  } else {
    checking_timer_.Stop();
  }
}

// ---------------------------------------------------------------------------
// Restart, send, close

void IceAgent::Impl::ForgetSession() {
  // Keep the selected pair alive (RFC 8445 §9) as the "old" pair.
  if (selected_ != nullptr && selected_ != old_selected_.get()) {
    for (auto it = pairs_.begin(); it != pairs_.end(); ++it) {
      if (it->get() == selected_) {
        old_selected_ = std::move(*it);
        pairs_.erase(it);
        break;
      }
    }
  }
  std::vector<std::unique_ptr<Pair>> dropped;
  dropped.swap(pairs_);
  for (auto& p : dropped) CancelTransactions(p.get());
  dropped.clear();
  triggered_.clear();
  remote_candidates_.clear();
  prflx_remotes_ = 0;
  remote_creds_.reset();
  remote_eoc_ = false;
  failed_ = false;
  checking_started_ = false;
  first_valid_at_.reset();
  nomination_timer_.Stop();
  checking_timer_.Stop();
  ta_timer_.Stop();
  // Remove peer-reflexive local candidates learned in the old session.
  local_candidates_.erase(std::remove_if(local_candidates_.begin(), local_candidates_.end(),
                                         [](const LocalCandidate& lc) {
                                           return lc.candidate.type ==
                                                  CandidateType::kPeerReflexive;
                                         }),
                          local_candidates_.end());
}

absl::Status IceAgent::Impl::RestartIce() {
  Entry entry(this);
  if (closed_) return absl::FailedPreconditionError("ICE agent is closed");
  if (sockets_.empty()) {
    return absl::FailedPreconditionError("ICE restart before GatherCandidates");
  }
  // Network change: bind the replacement sockets first, so that a failure
  // leaves the agent as it was.
  std::vector<std::pair<size_t, std::unique_ptr<UdpSocket>>> rebound;
  if (config_.local_addresses.empty()) {
    for (size_t i = 0; i < sockets_.size(); ++i) {
      if (!HostAddressGone(*sockets_[i])) continue;
      const IpAddress any =
          sockets_[i]->address.family() == IpFamily::kV6 ? IpAddress::AnyV6() : IpAddress::AnyV4();
      auto bound = env_.BindUdp(SocketAddress(any, 0));
      if (!bound.ok()) {
        return absl::UnavailableError(
            absl::StrCat("ICE restart: the host lost ", sockets_[i]->address.ToString(),
                         " and no new address could be bound: ", bound.status().message()));
      }
      rebound.emplace_back(i, std::move(*bound));
    }
  }
  ++stats_.ice_restarts;
  ++generation_;
  ForgetSession();
  // After consent loss the old pair is gone for good (RFC 7675 §5.1); a
  // restart is the way out.
  if (consent_expired_) consent_expired_ = false;
  // RFC 8445 §9.1.1.1: new ufrag and pwd.
  local_creds_.ufrag = RandomIceString(rng_, kUfragLength);
  local_creds_.pwd = RandomIceString(rng_, kPwdLength);
  // Re-gather; cancel the previous round's server transactions.
  for (auto& hs : sockets_) hs->gather->CancelAll();
  local_candidates_.clear();
  for (auto& b : bases_) b->pairable = false;
  for (auto& [index, socket] : rebound) ReplaceHostSocket(index, std::move(socket));
  ScheduleGatheringRound();
  return absl::OkStatus();
}

bool IceAgent::Impl::HostAddressGone(const HostSocket& hs) {
  // A wildcard socket (realnet) follows the OS's addresses by itself.
  if (hs.address.ip().IsUnspecified() || hs.address.port() == 0) return false;
  // Binding the socket's own address and port again: "in use" (or, where
  // the OS allows sharing, success) means the host still has the address.
  auto probe = env_.BindUdp(hs.address);
  return !probe.ok() && !absl::IsAlreadyExists(probe.status());
}

void IceAgent::Impl::ReplaceHostSocket(size_t index, std::unique_ptr<UdpSocket> socket) {
  ++stats_.host_address_changes;
  // ForgetSession left the selected pair, if any, as the old one. On a base
  // that is going away it can carry nothing more (RFC 8445 §9 keeps it only
  // while usable): drop it and stop its consent checks and keepalives.
  if (selected_ != nullptr && selected_->base->socket_index == index) {
    CancelTransactions(selected_);
    if (selected_ == old_selected_.get()) old_selected_.reset();
    selected_ = nullptr;
    consent_timer_.Stop();
    consent_deadline_timer_.Stop();
    keepalive_timer_.Stop();
    disconnected_ = false;
    if (state_ == IceConnectionState::kConnected || state_ == IceConnectionState::kCompleted) {
      SetState(IceConnectionState::kDisconnected);
    }
  }
  // Park the old socket's bases (host and relayed), TURN clients and the
  // socket itself; their callbacks may be on the stack right now.
  for (auto it = bases_.begin(); it != bases_.end();) {
    if ((*it)->socket_index != index) {
      ++it;
      continue;
    }
    Base& b = **it;
    b.pairable = false;
    b.checks->CancelAll();
    retired_retransmissions_ += b.checks->stats().retransmissions;
    retired_integrity_failures_ += b.checks->stats().integrity_failures;
    retired_bases_.push_back(std::move(*it));
    it = bases_.erase(it);
  }
  for (auto it = turns_.begin(); it != turns_.end();) {
    if ((*it)->socket_index != index) {
      ++it;
      continue;
    }
    // The allocation lives on the old 5-tuple (RFC 8656 §2.2) and cannot be
    // refreshed or deleted from an address the host no longer has; the
    // server lets it expire. Callbacks still pending find no base.
    (*it)->retired = true;
    (*it)->base = nullptr;
    (*it)->pending_generation = 0;
    retired_turns_.push_back(std::move(*it));
    it = turns_.erase(it);
  }
  sockets_[index]->retired = true;
  sockets_[index]->gather->CancelAll();
  retired_sockets_.push_back(std::move(sockets_[index]));
  sockets_[index] = MakeHostSocket(std::move(socket), index);
  bases_.push_back(MakeHostBase(*sockets_[index], index));
  graveyard_timer_.Start(TimeDelta::Zero(), [this] {
    retired_bases_.clear();
    retired_turns_.clear();
    retired_sockets_.clear();
  });
}

absl::Status IceAgent::Impl::Send(absl::Span<const uint8_t> data) {
  Entry entry(this);
  if (closed_) return absl::FailedPreconditionError("ICE agent is closed");
  if (consent_expired_) {
    return absl::FailedPreconditionError(
        "consent expired (RFC 7675 §5.1): sending stopped until an ICE restart");
  }
  if (selected_ == nullptr) return absl::FailedPreconditionError("no selected candidate pair");
  // RFC 7983: application data must not look like STUN or ChannelData, or
  // the peer would misroute it.
  if (!data.empty() && IsStunFirstByte(data[0])) {
    return absl::InvalidArgumentError("application data must not start with a byte in 0..3");
  }
  SendOnBase(selected_->base, selected_->remote.address, data);
  ++stats_.data_sent;
  return absl::OkStatus();
}

void IceAgent::Impl::Close() {
  Entry entry(this);
  if (closed_) return;
  // Sockets stay open (we may be inside their receive callback); packets
  // are ignored from here on and every timer stops.
  closed_ = true;
  ta_timer_.Stop();
  nomination_timer_.Stop();
  checking_timer_.Stop();
  consent_timer_.Stop();
  consent_deadline_timer_.Stop();
  keepalive_timer_.Stop();
  for (auto& b : bases_) b->checks->CancelAll();
  for (auto& hs : sockets_) hs->gather->CancelAll();
  for (auto& t : turns_) {
    if (t->client->state() == turn::TurnState::kAllocated) t->client->Deallocate();
  }
  triggered_.clear();
  state_ = IceConnectionState::kClosed;
  Post([this] {
    if (callbacks_.on_state) callbacks_.on_state(IceConnectionState::kClosed);
  });
}

// ---------------------------------------------------------------------------
// Accessors

CandidatePairInfo IceAgent::Impl::Info(const Pair& p) const {
  CandidatePairInfo info;
  info.local = p.valid_local.has_value() ? *p.valid_local : p.local;
  info.remote = p.remote;
  info.priority = p.priority;
  info.state = p.state;
  info.nominated = p.nominated;
  info.rtt = p.rtt;
  return info;
}

std::optional<CandidatePairInfo> IceAgent::Impl::selected_pair() const {
  if (selected_ == nullptr) return std::nullopt;
  return Info(*selected_);
}

std::vector<Candidate> IceAgent::Impl::local_candidates() const {
  std::vector<Candidate> out;
  for (const LocalCandidate& lc : local_candidates_) {
    if (lc.surfaced) out.push_back(lc.candidate);
  }
  return out;
}

std::vector<CandidatePairInfo> IceAgent::Impl::pairs() const {
  std::vector<CandidatePairInfo> out;
  out.reserve(pairs_.size());
  for (const auto& p : pairs_) out.push_back(Info(*p));
  return out;
}

const IceAgentStats& IceAgent::Impl::stats() const {
  stats_view_ = stats_;
  // Retransmissions and response-integrity failures are seen by the
  // transaction tables.
  stats_view_.check_retransmissions += retired_retransmissions_;
  stats_view_.integrity_failures += retired_integrity_failures_;
  for (const auto& b : bases_) {
    stats_view_.check_retransmissions += b->checks->stats().retransmissions;
    stats_view_.integrity_failures += b->checks->stats().integrity_failures;
  }
  return stats_view_;
}

// ---------------------------------------------------------------------------
// IceAgent

IceAgent::IceAgent(Env& env, IceAgentConfig config, Callbacks callbacks)
    : impl_(std::make_unique<Impl>(env, std::move(config), std::move(callbacks))) {}
IceAgent::~IceAgent() = default;

const IceCredentials& IceAgent::local_credentials() const { return impl_->local_credentials(); }
void IceAgent::SetRemoteCredentials(const IceCredentials& remote) {
  impl_->SetRemoteCredentials(remote);
}
absl::Status IceAgent::GatherCandidates() { return impl_->GatherCandidates(); }
absl::Status IceAgent::AddRemoteCandidate(const Candidate& candidate) {
  return impl_->AddRemoteCandidate(candidate);
}
void IceAgent::AddRemoteEndOfCandidates() { impl_->AddRemoteEndOfCandidates(); }
absl::Status IceAgent::Send(absl::Span<const uint8_t> data) { return impl_->Send(data); }
absl::Status IceAgent::RestartIce() { return impl_->RestartIce(); }
void IceAgent::Close() { impl_->Close(); }
IceRole IceAgent::role() const { return impl_->role(); }
IceConnectionState IceAgent::state() const { return impl_->state(); }
IceGatheringState IceAgent::gathering_state() const { return impl_->gathering_state(); }
std::optional<CandidatePairInfo> IceAgent::selected_pair() const { return impl_->selected_pair(); }
std::vector<Candidate> IceAgent::local_candidates() const { return impl_->local_candidates(); }
std::vector<CandidatePairInfo> IceAgent::pairs() const { return impl_->pairs(); }
const IceAgentStats& IceAgent::stats() const { return impl_->stats(); }

}  // namespace rtcsim::ice
