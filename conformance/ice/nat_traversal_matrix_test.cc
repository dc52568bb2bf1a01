// The NAT traversal matrix: two ICE agents, each behind one of {open, the
// nine RFC 4787 mapping × filtering NATs, a UDP-blocking firewall}, with
// {no servers, a STUN server, a STUN+TURN server}: 11 × 11 × 3 = 363 cells.
// Each cell states the expected outcome and the path A's selected pair takes
// (local/remote, by where the address sits: host address, NAT mapping,
// TURN relay), with the reason; each is run twice with one seed and must
// give the same trace hash.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "conformance/ice/ice_pair.h"
#include "gtest/gtest.h"
#include "simnet/trace.h"

namespace rtcsim::conformance {
namespace {

// Why each cell ends as it does. Terms: EIM/ADM/APDM = endpoint-independent,
// address-dependent, address-and-port-dependent mapping; EIF/ADF/APDF the
// same for filtering (RFC 4787 §4.1, §5). "srflx" is a NAT mapping, whether
// an agent learned it from STUN or as a peer-reflexive candidate.
// The server (STUN, TURN and relays) is one public address, as coturn is
// usually deployed.
constexpr absl::string_view kReasons = R"(
R-open     Both hosts have public addresses: host candidates reach each other.
R-block    A UDP-blocking firewall drops every datagram, checks and TURN alike
           (TURN over TCP/TLS is a later issue): fails whatever the servers.
R-private  No servers: a NATed side has only its private host candidate,
           which the other side cannot route to, so two NATed sides fail.
           With the other side open, the NATed side's checks to the public
           host candidate work: the open side sees them from the NAT mapping
           (peer-reflexive) and answers, and the mapping admits the answer
           (it comes from where the check went, which every filter allows).
R-nat-open With the other side open, the NAT only has to admit answers from
           the address it sent to, which every filtering allows: the NATed
           side's mapping and the open host talk directly, whatever the NAT.
R-eim      Both mappings endpoint-independent: each side's STUN-learned srflx
           is the mapping it uses toward the peer, and each side's checks
           toward the peer's srflx open its own filter for the peer's checks.
R-eim-x    One side (X) EIM, the other (Y) ADM or APDM. Y's checks toward X's
           srflx leave from a new mapping; X's filter admits it if it is EIF,
           or ADF (X has already sent to Y's IP). X learns Y's new mapping as
           peer-reflexive and its triggered check goes out through X's one
           mapping, which Y's new mapping admits (Y sent there) and answers
           on: symmetric. With X APDF the new mapping's port is refused and
           no pair works.
R-adm      Neither mapping EIM, at least one ADM (X). A STUN-learned srflx has
           only sent to the server, so a check to it passes only an EIF
           filter; the answer leaves through a new mapping and fails the
           symmetry test (RFC 8445 §7.2.5.2.1), but teaches the sides each
           other's per-peer mappings. X reuses its mapping toward the peer's
           IP for every port (ADM), so checks to it are answered from it:
           works when neither filter is APDF (it refuses the new mappings'
           ports) and at least one is EIF (with ADF on both, no first check
           gets in: each srflx admits only the server's IP).
R-apdm     Both APDM: every check leaves through a new mapping, so no answer
           comes from the address its check went to; learning peer-reflexive
           candidates chases ever new mappings (the agent caps them) and
           never converges.
R-relay    No direct pair works; both sides reach the TURN server, and a relay
           accepts the peer's mapping once the permission is installed. The
           pair is A's mapping to B's relay: pairs with a relayed candidate
           share MIN(G,D) = the relay's priority and equal MAX, and the G>D
           tie-break (RFC 8445 §6.1.2.3, G = controlling A) favours it over
           B's mapping to A's relay.
R-direct   A direct pair works, as in the STUN-only cell, and outranks every
           pair with a relayed candidate (type preference 0, RFC 8445
           §5.1.2.2).
)";

// a-edge, b-edge, servers, expected outcome, A's selected path, reason.
constexpr absl::string_view kMatrix = R"(
# a-edge     b-edge       servers    outcome    A's path     why
open         open         none       connected  host/host    R-open
open         EIM/EIF      none       connected  host/srflx   R-private
open         EIM/ADF      none       connected  host/srflx   R-private
open         EIM/APDF     none       connected  host/srflx   R-private
open         ADM/EIF      none       connected  host/srflx   R-private
open         ADM/ADF      none       connected  host/srflx   R-private
open         ADM/APDF     none       connected  host/srflx   R-private
open         APDM/EIF     none       connected  host/srflx   R-private
open         APDM/ADF     none       connected  host/srflx   R-private
open         APDM/APDF    none       connected  host/srflx   R-private
open         udp-blocked  none       failed     -            R-block
EIM/EIF      open         none       connected  srflx/host   R-private
EIM/EIF      EIM/EIF      none       failed     -            R-private
EIM/EIF      EIM/ADF      none       failed     -            R-private
EIM/EIF      EIM/APDF     none       failed     -            R-private
EIM/EIF      ADM/EIF      none       failed     -            R-private
EIM/EIF      ADM/ADF      none       failed     -            R-private
EIM/EIF      ADM/APDF     none       failed     -            R-private
EIM/EIF      APDM/EIF     none       failed     -            R-private
EIM/EIF      APDM/ADF     none       failed     -            R-private
EIM/EIF      APDM/APDF    none       failed     -            R-private
EIM/EIF      udp-blocked  none       failed     -            R-block
EIM/ADF      open         none       connected  srflx/host   R-private
EIM/ADF      EIM/EIF      none       failed     -            R-private
EIM/ADF      EIM/ADF      none       failed     -            R-private
EIM/ADF      EIM/APDF     none       failed     -            R-private
EIM/ADF      ADM/EIF      none       failed     -            R-private
EIM/ADF      ADM/ADF      none       failed     -            R-private
EIM/ADF      ADM/APDF     none       failed     -            R-private
EIM/ADF      APDM/EIF     none       failed     -            R-private
EIM/ADF      APDM/ADF     none       failed     -            R-private
EIM/ADF      APDM/APDF    none       failed     -            R-private
EIM/ADF      udp-blocked  none       failed     -            R-block
EIM/APDF     open         none       connected  srflx/host   R-private
EIM/APDF     EIM/EIF      none       failed     -            R-private
EIM/APDF     EIM/ADF      none       failed     -            R-private
EIM/APDF     EIM/APDF     none       failed     -            R-private
EIM/APDF     ADM/EIF      none       failed     -            R-private
EIM/APDF     ADM/ADF      none       failed     -            R-private
EIM/APDF     ADM/APDF     none       failed     -            R-private
EIM/APDF     APDM/EIF     none       failed     -            R-private
EIM/APDF     APDM/ADF     none       failed     -            R-private
EIM/APDF     APDM/APDF    none       failed     -            R-private
EIM/APDF     udp-blocked  none       failed     -            R-block
ADM/EIF      open         none       connected  srflx/host   R-private
ADM/EIF      EIM/EIF      none       failed     -            R-private
ADM/EIF      EIM/ADF      none       failed     -            R-private
ADM/EIF      EIM/APDF     none       failed     -            R-private
ADM/EIF      ADM/EIF      none       failed     -            R-private
ADM/EIF      ADM/ADF      none       failed     -            R-private
ADM/EIF      ADM/APDF     none       failed     -            R-private
ADM/EIF      APDM/EIF     none       failed     -            R-private
ADM/EIF      APDM/ADF     none       failed     -            R-private
ADM/EIF      APDM/APDF    none       failed     -            R-private
ADM/EIF      udp-blocked  none       failed     -            R-block
ADM/ADF      open         none       connected  srflx/host   R-private
ADM/ADF      EIM/EIF      none       failed     -            R-private
ADM/ADF      EIM/ADF      none       failed     -            R-private
ADM/ADF      EIM/APDF     none       failed     -            R-private
ADM/ADF      ADM/EIF      none       failed     -            R-private
ADM/ADF      ADM/ADF      none       failed     -            R-private
ADM/ADF      ADM/APDF     none       failed     -            R-private
ADM/ADF      APDM/EIF     none       failed     -            R-private
ADM/ADF      APDM/ADF     none       failed     -            R-private
ADM/ADF      APDM/APDF    none       failed     -            R-private
ADM/ADF      udp-blocked  none       failed     -            R-block
ADM/APDF     open         none       connected  srflx/host   R-private
ADM/APDF     EIM/EIF      none       failed     -            R-private
ADM/APDF     EIM/ADF      none       failed     -            R-private
ADM/APDF     EIM/APDF     none       failed     -            R-private
ADM/APDF     ADM/EIF      none       failed     -            R-private
ADM/APDF     ADM/ADF      none       failed     -            R-private
ADM/APDF     ADM/APDF     none       failed     -            R-private
ADM/APDF     APDM/EIF     none       failed     -            R-private
ADM/APDF     APDM/ADF     none       failed     -            R-private
ADM/APDF     APDM/APDF    none       failed     -            R-private
ADM/APDF     udp-blocked  none       failed     -            R-block
APDM/EIF     open         none       connected  srflx/host   R-private
APDM/EIF     EIM/EIF      none       failed     -            R-private
APDM/EIF     EIM/ADF      none       failed     -            R-private
APDM/EIF     EIM/APDF     none       failed     -            R-private
APDM/EIF     ADM/EIF      none       failed     -            R-private
APDM/EIF     ADM/ADF      none       failed     -            R-private
APDM/EIF     ADM/APDF     none       failed     -            R-private
APDM/EIF     APDM/EIF     none       failed     -            R-private
APDM/EIF     APDM/ADF     none       failed     -            R-private
APDM/EIF     APDM/APDF    none       failed     -            R-private
APDM/EIF     udp-blocked  none       failed     -            R-block
APDM/ADF     open         none       connected  srflx/host   R-private
APDM/ADF     EIM/EIF      none       failed     -            R-private
APDM/ADF     EIM/ADF      none       failed     -            R-private
APDM/ADF     EIM/APDF     none       failed     -            R-private
APDM/ADF     ADM/EIF      none       failed     -            R-private
APDM/ADF     ADM/ADF      none       failed     -            R-private
APDM/ADF     ADM/APDF     none       failed     -            R-private
APDM/ADF     APDM/EIF     none       failed     -            R-private
APDM/ADF     APDM/ADF     none       failed     -            R-private
APDM/ADF     APDM/APDF    none       failed     -            R-private
APDM/ADF     udp-blocked  none       failed     -            R-block
APDM/APDF    open         none       connected  srflx/host   R-private
APDM/APDF    EIM/EIF      none       failed     -            R-private
APDM/APDF    EIM/ADF      none       failed     -            R-private
APDM/APDF    EIM/APDF     none       failed     -            R-private
APDM/APDF    ADM/EIF      none       failed     -            R-private
APDM/APDF    ADM/ADF      none       failed     -            R-private
APDM/APDF    ADM/APDF     none       failed     -            R-private
APDM/APDF    APDM/EIF     none       failed     -            R-private
APDM/APDF    APDM/ADF     none       failed     -            R-private
APDM/APDF    APDM/APDF    none       failed     -            R-private
APDM/APDF    udp-blocked  none       failed     -            R-block
udp-blocked  open         none       failed     -            R-block
udp-blocked  EIM/EIF      none       failed     -            R-block
udp-blocked  EIM/ADF      none       failed     -            R-block
udp-blocked  EIM/APDF     none       failed     -            R-block
udp-blocked  ADM/EIF      none       failed     -            R-block
udp-blocked  ADM/ADF      none       failed     -            R-block
udp-blocked  ADM/APDF     none       failed     -            R-block
udp-blocked  APDM/EIF     none       failed     -            R-block
udp-blocked  APDM/ADF     none       failed     -            R-block
udp-blocked  APDM/APDF    none       failed     -            R-block
udp-blocked  udp-blocked  none       failed     -            R-block
open         open         stun       connected  host/host    R-open
open         EIM/EIF      stun       connected  host/srflx   R-nat-open
open         EIM/ADF      stun       connected  host/srflx   R-nat-open
open         EIM/APDF     stun       connected  host/srflx   R-nat-open
open         ADM/EIF      stun       connected  host/srflx   R-nat-open
open         ADM/ADF      stun       connected  host/srflx   R-nat-open
open         ADM/APDF     stun       connected  host/srflx   R-nat-open
open         APDM/EIF     stun       connected  host/srflx   R-nat-open
open         APDM/ADF     stun       connected  host/srflx   R-nat-open
open         APDM/APDF    stun       connected  host/srflx   R-nat-open
open         udp-blocked  stun       failed     -            R-block
EIM/EIF      open         stun       connected  srflx/host   R-nat-open
EIM/EIF      EIM/EIF      stun       connected  srflx/srflx  R-eim
EIM/EIF      EIM/ADF      stun       connected  srflx/srflx  R-eim
EIM/EIF      EIM/APDF     stun       connected  srflx/srflx  R-eim
EIM/EIF      ADM/EIF      stun       connected  srflx/srflx  R-eim-x
EIM/EIF      ADM/ADF      stun       connected  srflx/srflx  R-eim-x
EIM/EIF      ADM/APDF     stun       connected  srflx/srflx  R-eim-x
EIM/EIF      APDM/EIF     stun       connected  srflx/srflx  R-eim-x
EIM/EIF      APDM/ADF     stun       connected  srflx/srflx  R-eim-x
EIM/EIF      APDM/APDF    stun       connected  srflx/srflx  R-eim-x
EIM/EIF      udp-blocked  stun       failed     -            R-block
EIM/ADF      open         stun       connected  srflx/host   R-nat-open
EIM/ADF      EIM/EIF      stun       connected  srflx/srflx  R-eim
EIM/ADF      EIM/ADF      stun       connected  srflx/srflx  R-eim
EIM/ADF      EIM/APDF     stun       connected  srflx/srflx  R-eim
EIM/ADF      ADM/EIF      stun       connected  srflx/srflx  R-eim-x
EIM/ADF      ADM/ADF      stun       connected  srflx/srflx  R-eim-x
EIM/ADF      ADM/APDF     stun       connected  srflx/srflx  R-eim-x
EIM/ADF      APDM/EIF     stun       connected  srflx/srflx  R-eim-x
EIM/ADF      APDM/ADF     stun       connected  srflx/srflx  R-eim-x
EIM/ADF      APDM/APDF    stun       connected  srflx/srflx  R-eim-x
EIM/ADF      udp-blocked  stun       failed     -            R-block
EIM/APDF     open         stun       connected  srflx/host   R-nat-open
EIM/APDF     EIM/EIF      stun       connected  srflx/srflx  R-eim
EIM/APDF     EIM/ADF      stun       connected  srflx/srflx  R-eim
EIM/APDF     EIM/APDF     stun       connected  srflx/srflx  R-eim
EIM/APDF     ADM/EIF      stun       failed     -            R-eim-x
EIM/APDF     ADM/ADF      stun       failed     -            R-eim-x
EIM/APDF     ADM/APDF     stun       failed     -            R-eim-x
EIM/APDF     APDM/EIF     stun       failed     -            R-eim-x
EIM/APDF     APDM/ADF     stun       failed     -            R-eim-x
EIM/APDF     APDM/APDF    stun       failed     -            R-eim-x
EIM/APDF     udp-blocked  stun       failed     -            R-block
ADM/EIF      open         stun       connected  srflx/host   R-nat-open
ADM/EIF      EIM/EIF      stun       connected  srflx/srflx  R-eim-x
ADM/EIF      EIM/ADF      stun       connected  srflx/srflx  R-eim-x
ADM/EIF      EIM/APDF     stun       failed     -            R-eim-x
ADM/EIF      ADM/EIF      stun       connected  srflx/srflx  R-adm
ADM/EIF      ADM/ADF      stun       connected  srflx/srflx  R-adm
ADM/EIF      ADM/APDF     stun       failed     -            R-adm
ADM/EIF      APDM/EIF     stun       connected  srflx/srflx  R-adm
ADM/EIF      APDM/ADF     stun       connected  srflx/srflx  R-adm
ADM/EIF      APDM/APDF    stun       failed     -            R-adm
ADM/EIF      udp-blocked  stun       failed     -            R-block
ADM/ADF      open         stun       connected  srflx/host   R-nat-open
ADM/ADF      EIM/EIF      stun       connected  srflx/srflx  R-eim-x
ADM/ADF      EIM/ADF      stun       connected  srflx/srflx  R-eim-x
ADM/ADF      EIM/APDF     stun       failed     -            R-eim-x
ADM/ADF      ADM/EIF      stun       connected  srflx/srflx  R-adm
ADM/ADF      ADM/ADF      stun       failed     -            R-adm
ADM/ADF      ADM/APDF     stun       failed     -            R-adm
ADM/ADF      APDM/EIF     stun       connected  srflx/srflx  R-adm
ADM/ADF      APDM/ADF     stun       failed     -            R-adm
ADM/ADF      APDM/APDF    stun       failed     -            R-adm
ADM/ADF      udp-blocked  stun       failed     -            R-block
ADM/APDF     open         stun       connected  srflx/host   R-nat-open
ADM/APDF     EIM/EIF      stun       connected  srflx/srflx  R-eim-x
ADM/APDF     EIM/ADF      stun       connected  srflx/srflx  R-eim-x
ADM/APDF     EIM/APDF     stun       failed     -            R-eim-x
ADM/APDF     ADM/EIF      stun       failed     -            R-adm
ADM/APDF     ADM/ADF      stun       failed     -            R-adm
ADM/APDF     ADM/APDF     stun       failed     -            R-adm
ADM/APDF     APDM/EIF     stun       failed     -            R-adm
ADM/APDF     APDM/ADF     stun       failed     -            R-adm
ADM/APDF     APDM/APDF    stun       failed     -            R-adm
ADM/APDF     udp-blocked  stun       failed     -            R-block
APDM/EIF     open         stun       connected  srflx/host   R-nat-open
APDM/EIF     EIM/EIF      stun       connected  srflx/srflx  R-eim-x
APDM/EIF     EIM/ADF      stun       connected  srflx/srflx  R-eim-x
APDM/EIF     EIM/APDF     stun       failed     -            R-eim-x
APDM/EIF     ADM/EIF      stun       connected  srflx/srflx  R-adm
APDM/EIF     ADM/ADF      stun       connected  srflx/srflx  R-adm
APDM/EIF     ADM/APDF     stun       failed     -            R-adm
APDM/EIF     APDM/EIF     stun       failed     -            R-apdm
APDM/EIF     APDM/ADF     stun       failed     -            R-apdm
APDM/EIF     APDM/APDF    stun       failed     -            R-apdm
APDM/EIF     udp-blocked  stun       failed     -            R-block
APDM/ADF     open         stun       connected  srflx/host   R-nat-open
APDM/ADF     EIM/EIF      stun       connected  srflx/srflx  R-eim-x
APDM/ADF     EIM/ADF      stun       connected  srflx/srflx  R-eim-x
APDM/ADF     EIM/APDF     stun       failed     -            R-eim-x
APDM/ADF     ADM/EIF      stun       connected  srflx/srflx  R-adm
APDM/ADF     ADM/ADF      stun       failed     -            R-adm
APDM/ADF     ADM/APDF     stun       failed     -            R-adm
APDM/ADF     APDM/EIF     stun       failed     -            R-apdm
APDM/ADF     APDM/ADF     stun       failed     -            R-apdm
APDM/ADF     APDM/APDF    stun       failed     -            R-apdm
APDM/ADF     udp-blocked  stun       failed     -            R-block
APDM/APDF    open         stun       connected  srflx/host   R-nat-open
APDM/APDF    EIM/EIF      stun       connected  srflx/srflx  R-eim-x
APDM/APDF    EIM/ADF      stun       connected  srflx/srflx  R-eim-x
APDM/APDF    EIM/APDF     stun       failed     -            R-eim-x
APDM/APDF    ADM/EIF      stun       failed     -            R-adm
APDM/APDF    ADM/ADF      stun       failed     -            R-adm
APDM/APDF    ADM/APDF     stun       failed     -            R-adm
APDM/APDF    APDM/EIF     stun       failed     -            R-apdm
APDM/APDF    APDM/ADF     stun       failed     -            R-apdm
APDM/APDF    APDM/APDF    stun       failed     -            R-apdm
APDM/APDF    udp-blocked  stun       failed     -            R-block
udp-blocked  open         stun       failed     -            R-block
udp-blocked  EIM/EIF      stun       failed     -            R-block
udp-blocked  EIM/ADF      stun       failed     -            R-block
udp-blocked  EIM/APDF     stun       failed     -            R-block
udp-blocked  ADM/EIF      stun       failed     -            R-block
udp-blocked  ADM/ADF      stun       failed     -            R-block
udp-blocked  ADM/APDF     stun       failed     -            R-block
udp-blocked  APDM/EIF     stun       failed     -            R-block
udp-blocked  APDM/ADF     stun       failed     -            R-block
udp-blocked  APDM/APDF    stun       failed     -            R-block
udp-blocked  udp-blocked  stun       failed     -            R-block
open         open         stun+turn  connected  host/host    R-open
open         EIM/EIF      stun+turn  connected  host/srflx   R-nat-open
open         EIM/ADF      stun+turn  connected  host/srflx   R-nat-open
open         EIM/APDF     stun+turn  connected  host/srflx   R-nat-open
open         ADM/EIF      stun+turn  connected  host/srflx   R-nat-open
open         ADM/ADF      stun+turn  connected  host/srflx   R-nat-open
open         ADM/APDF     stun+turn  connected  host/srflx   R-nat-open
open         APDM/EIF     stun+turn  connected  host/srflx   R-nat-open
open         APDM/ADF     stun+turn  connected  host/srflx   R-nat-open
open         APDM/APDF    stun+turn  connected  host/srflx   R-nat-open
open         udp-blocked  stun+turn  failed     -            R-block
EIM/EIF      open         stun+turn  connected  srflx/host   R-nat-open
EIM/EIF      EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      EIM/APDF     stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      ADM/EIF      stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      ADM/ADF      stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      ADM/APDF     stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      APDM/EIF     stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      APDM/ADF     stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      APDM/APDF    stun+turn  connected  srflx/srflx  R-direct
EIM/EIF      udp-blocked  stun+turn  failed     -            R-block
EIM/ADF      open         stun+turn  connected  srflx/host   R-nat-open
EIM/ADF      EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      EIM/APDF     stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      ADM/EIF      stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      ADM/ADF      stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      ADM/APDF     stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      APDM/EIF     stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      APDM/ADF     stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      APDM/APDF    stun+turn  connected  srflx/srflx  R-direct
EIM/ADF      udp-blocked  stun+turn  failed     -            R-block
EIM/APDF     open         stun+turn  connected  srflx/host   R-nat-open
EIM/APDF     EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
EIM/APDF     EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
EIM/APDF     EIM/APDF     stun+turn  connected  srflx/srflx  R-direct
EIM/APDF     ADM/EIF      stun+turn  connected  srflx/relay  R-relay
EIM/APDF     ADM/ADF      stun+turn  connected  srflx/relay  R-relay
EIM/APDF     ADM/APDF     stun+turn  connected  srflx/relay  R-relay
EIM/APDF     APDM/EIF     stun+turn  connected  srflx/relay  R-relay
EIM/APDF     APDM/ADF     stun+turn  connected  srflx/relay  R-relay
EIM/APDF     APDM/APDF    stun+turn  connected  srflx/relay  R-relay
EIM/APDF     udp-blocked  stun+turn  failed     -            R-block
ADM/EIF      open         stun+turn  connected  srflx/host   R-nat-open
ADM/EIF      EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
ADM/EIF      EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
ADM/EIF      EIM/APDF     stun+turn  connected  srflx/relay  R-relay
ADM/EIF      ADM/EIF      stun+turn  connected  srflx/srflx  R-direct
ADM/EIF      ADM/ADF      stun+turn  connected  srflx/srflx  R-direct
ADM/EIF      ADM/APDF     stun+turn  connected  srflx/relay  R-relay
ADM/EIF      APDM/EIF     stun+turn  connected  srflx/srflx  R-direct
ADM/EIF      APDM/ADF     stun+turn  connected  srflx/srflx  R-direct
ADM/EIF      APDM/APDF    stun+turn  connected  srflx/relay  R-relay
ADM/EIF      udp-blocked  stun+turn  failed     -            R-block
ADM/ADF      open         stun+turn  connected  srflx/host   R-nat-open
ADM/ADF      EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
ADM/ADF      EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
ADM/ADF      EIM/APDF     stun+turn  connected  srflx/relay  R-relay
ADM/ADF      ADM/EIF      stun+turn  connected  srflx/srflx  R-direct
ADM/ADF      ADM/ADF      stun+turn  connected  srflx/relay  R-relay
ADM/ADF      ADM/APDF     stun+turn  connected  srflx/relay  R-relay
ADM/ADF      APDM/EIF     stun+turn  connected  srflx/srflx  R-direct
ADM/ADF      APDM/ADF     stun+turn  connected  srflx/relay  R-relay
ADM/ADF      APDM/APDF    stun+turn  connected  srflx/relay  R-relay
ADM/ADF      udp-blocked  stun+turn  failed     -            R-block
ADM/APDF     open         stun+turn  connected  srflx/host   R-nat-open
ADM/APDF     EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
ADM/APDF     EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
ADM/APDF     EIM/APDF     stun+turn  connected  srflx/relay  R-relay
ADM/APDF     ADM/EIF      stun+turn  connected  srflx/relay  R-relay
ADM/APDF     ADM/ADF      stun+turn  connected  srflx/relay  R-relay
ADM/APDF     ADM/APDF     stun+turn  connected  srflx/relay  R-relay
ADM/APDF     APDM/EIF     stun+turn  connected  srflx/relay  R-relay
ADM/APDF     APDM/ADF     stun+turn  connected  srflx/relay  R-relay
ADM/APDF     APDM/APDF    stun+turn  connected  srflx/relay  R-relay
ADM/APDF     udp-blocked  stun+turn  failed     -            R-block
APDM/EIF     open         stun+turn  connected  srflx/host   R-nat-open
APDM/EIF     EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
APDM/EIF     EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
APDM/EIF     EIM/APDF     stun+turn  connected  srflx/relay  R-relay
APDM/EIF     ADM/EIF      stun+turn  connected  srflx/srflx  R-direct
APDM/EIF     ADM/ADF      stun+turn  connected  srflx/srflx  R-direct
APDM/EIF     ADM/APDF     stun+turn  connected  srflx/relay  R-relay
APDM/EIF     APDM/EIF     stun+turn  connected  srflx/relay  R-relay
APDM/EIF     APDM/ADF     stun+turn  connected  srflx/relay  R-relay
APDM/EIF     APDM/APDF    stun+turn  connected  srflx/relay  R-relay
APDM/EIF     udp-blocked  stun+turn  failed     -            R-block
APDM/ADF     open         stun+turn  connected  srflx/host   R-nat-open
APDM/ADF     EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
APDM/ADF     EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
APDM/ADF     EIM/APDF     stun+turn  connected  srflx/relay  R-relay
APDM/ADF     ADM/EIF      stun+turn  connected  srflx/srflx  R-direct
APDM/ADF     ADM/ADF      stun+turn  connected  srflx/relay  R-relay
APDM/ADF     ADM/APDF     stun+turn  connected  srflx/relay  R-relay
APDM/ADF     APDM/EIF     stun+turn  connected  srflx/relay  R-relay
APDM/ADF     APDM/ADF     stun+turn  connected  srflx/relay  R-relay
APDM/ADF     APDM/APDF    stun+turn  connected  srflx/relay  R-relay
APDM/ADF     udp-blocked  stun+turn  failed     -            R-block
APDM/APDF    open         stun+turn  connected  srflx/host   R-nat-open
APDM/APDF    EIM/EIF      stun+turn  connected  srflx/srflx  R-direct
APDM/APDF    EIM/ADF      stun+turn  connected  srflx/srflx  R-direct
APDM/APDF    EIM/APDF     stun+turn  connected  srflx/relay  R-relay
APDM/APDF    ADM/EIF      stun+turn  connected  srflx/relay  R-relay
APDM/APDF    ADM/ADF      stun+turn  connected  srflx/relay  R-relay
APDM/APDF    ADM/APDF     stun+turn  connected  srflx/relay  R-relay
APDM/APDF    APDM/EIF     stun+turn  connected  srflx/relay  R-relay
APDM/APDF    APDM/ADF     stun+turn  connected  srflx/relay  R-relay
APDM/APDF    APDM/APDF    stun+turn  connected  srflx/relay  R-relay
APDM/APDF    udp-blocked  stun+turn  failed     -            R-block
udp-blocked  open         stun+turn  failed     -            R-block
udp-blocked  EIM/EIF      stun+turn  failed     -            R-block
udp-blocked  EIM/ADF      stun+turn  failed     -            R-block
udp-blocked  EIM/APDF     stun+turn  failed     -            R-block
udp-blocked  ADM/EIF      stun+turn  failed     -            R-block
udp-blocked  ADM/ADF      stun+turn  failed     -            R-block
udp-blocked  ADM/APDF     stun+turn  failed     -            R-block
udp-blocked  APDM/EIF     stun+turn  failed     -            R-block
udp-blocked  APDM/ADF     stun+turn  failed     -            R-block
udp-blocked  APDM/APDF    stun+turn  failed     -            R-block
udp-blocked  udp-blocked  stun+turn  failed     -            R-block
)";

struct Cell {
  Edge a, b;
  Servers servers = Servers::kNone;
  bool connected = false;
  std::string path;  // A's selected pair, "local/remote"; "-" when failed
  std::string reason;
  std::string Name() const {
    std::string n = absl::StrCat(a.Name(), "__", b.Name(), "__", ToString(servers));
    for (char& c : n) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return n;
  }
};

std::vector<Cell> ParseMatrix() {
  std::vector<Cell> cells;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(kMatrix, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    EXPECT_EQ(f.size(), 6u) << "matrix line " << line_no << ": " << line;
    if (f.size() != 6) continue;
    Cell c;
    auto a = Edge::Parse(f[0]);
    auto b = Edge::Parse(f[1]);
    auto s = ParseServers(f[2]);
    EXPECT_TRUE(a.ok() && b.ok() && s.ok()) << "matrix line " << line_no << ": " << line;
    if (!a.ok() || !b.ok() || !s.ok()) continue;
    c.a = *a;
    c.b = *b;
    c.servers = *s;
    EXPECT_TRUE(f[3] == "connected" || f[3] == "failed") << "matrix line " << line_no;
    c.connected = f[3] == "connected";
    c.path = std::string(f[4]);
    c.reason = std::string(f[5]);
    EXPECT_NE(kReasons.find(c.reason + " "), absl::string_view::npos)
        << "matrix line " << line_no << ": unknown reason " << c.reason;
    cells.push_back(c);
  }
  return cells;
}

const std::vector<Cell>& Cells() {
  static const auto* cells = new std::vector<Cell>(ParseMatrix());
  return *cells;
}

TEST(NatTraversalMatrix, CoversEveryCellOnce) {
  std::set<std::string> seen;
  for (const Cell& c : Cells()) EXPECT_TRUE(seen.insert(c.Name()).second) << c.Name();
  EXPECT_EQ(seen.size(), 11u * 11u * 3u);
}

struct Outcome {
  bool connected = false;
  std::string path_a, path_b;
  std::string hash;
  std::string states;
};

Outcome RunCell(const Cell& cell) {
  IcePairOptions o;
  o.edges = {cell.a, cell.b};
  o.servers = cell.servers;
  o.seed = 4787;
  auto pair = IcePair::Create(o);
  EXPECT_TRUE(pair.ok()) << pair.status();
  Outcome out;
  if (!pair.ok()) return out;
  IcePair& p = **pair;
  EXPECT_TRUE(p.Start().ok());
  p.RunUntilSettled(TimeDelta::Seconds(90));
  out.connected = p.Connected();
  out.path_a = p.SelectedPath(0);
  out.path_b = p.SelectedPath(1);
  out.hash = p.network().trace().HashHex();
  out.states =
      absl::StrCat(ice::ToString(p.agent(0).state()), "/", ice::ToString(p.agent(1).state()));
  return out;
}

std::string Mirror(const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  if (parts.size() != 2) return path;
  return absl::StrCat(parts[1], "/", parts[0]);
}

class MatrixCell : public ::testing::TestWithParam<size_t> {};

TEST_P(MatrixCell, MatchesExpectationAndIsDeterministic) {
  const Cell& cell = Cells()[GetParam()];
  const Outcome first = RunCell(cell);
  const Outcome again = RunCell(cell);
  EXPECT_EQ(first.hash, again.hash) << "same seed, different trace";

  // On mismatch, print the row as it ran, ready to compare with the table.
  const std::string observed =
      absl::StrCat(cell.a.Name(), " ", cell.b.Name(), " ", ToString(cell.servers), " ",
                   first.connected ? "connected" : "failed", " ", first.path_a);
  EXPECT_EQ(first.connected, cell.connected) << observed << " (states " << first.states << ")";
  if (cell.connected) {
    EXPECT_EQ(first.path_a, cell.path) << observed;
    EXPECT_EQ(first.path_b, Mirror(first.path_a)) << "B's view of the pair differs from A's";
  } else {
    // Failed means both agents gave up, not that the run ended first.
    EXPECT_EQ(first.states, "failed/failed") << observed;
  }
}

std::string CellName(const ::testing::TestParamInfo<size_t>& info) {
  return Cells()[info.param].Name();
}

INSTANTIATE_TEST_SUITE_P(All, MatrixCell, ::testing::Range<size_t>(0, Cells().size()), CellName);

}  // namespace
}  // namespace rtcsim::conformance
