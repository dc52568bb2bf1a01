// Interop over real UDP with aiortc (Debian python3-aiortc): our IceAgent,
// DtlsOverIce and SrtpSession on RealEnv (OS UDP over loopback, the real
// clock, no libc time interposer) against aiortc's ORTC objects, driven by
// aiortc_peer.py under /usr/bin/python3 through JSON lines on its
// stdin/stdout. Shows that
//   - ICE connects with us controlling and aiortc (aioice) controlled;
//   - DTLS-SRTP completes, us the client and aiortc the server, on
//     SRTP_AES128_CM_SHA1_80 (the only profile aiortc 1.4 offers);
//   - SRTP flows both ways: aiortc's Opus RTP (and its SRTCP SR/RR,
//     demultiplexed per RFC 5761/7983) unprotects with our SrtpSession, and
//     aiortc's RTCRtpReceiver counts the Opus packets we protect.
// The process plumbing (fork/exec, pipes, kill) is ../child_process.h,
// outside stack/.
// Every wait is bounded; nothing asserts on timing.
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "conformance/interop/child_process.h"
#include "gtest/gtest.h"
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_over_ice.h"
#include "stack/dtls/dtls_transport.h"
#include "stack/dtls/fingerprint.h"
#include "stack/ice/candidate.h"
#include "stack/ice/ice_agent.h"
#include "stack/realnet/real_env.h"
#include "stack/rtp/rtp_packet.h"
#include "stack/srtp/srtp_session.h"

namespace rtcsim {
namespace {

constexpr TimeDelta kTimeout = TimeDelta::Seconds(20);
constexpr char kPython[] = "/usr/bin/python3";
constexpr uint32_t kOurSsrc = 0x5eed1234;
constexpr uint8_t kOpusPayloadType = 111;
constexpr int kPacketsToSend = 150;
// An Opus packet (RFC 6716): TOC 0xF8 (CELT fullband, 20 ms, mono, one
// frame) and the two-byte frame that decodes to silence.
constexpr uint8_t kOpusSilence[] = {0xF8, 0xFF, 0xFE};

using interop::ChildProcess;
using interop::PollUntil;
using interop::ReadFile;
using interop::TempDir;

std::string PeerScript() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "rtcsim",
                      "/conformance/interop/aiortc/aiortc_peer.py");
}

// The value of `"key": "..."` or `"key": 123` in one JSON line written by
// json.dumps (flat fields; the strings here carry no escapes).
std::optional<std::string> Field(const std::string& line, absl::string_view key) {
  const std::string tag = absl::StrCat("\"", key, "\": ");
  size_t at = line.find(tag);
  if (at == std::string::npos) return std::nullopt;
  at += tag.size();
  if (at < line.size() && line[at] == '[') ++at;  // first element of a list
  if (at < line.size() && line[at] == '"') {
    size_t end = line.find('"', at + 1);
    if (end == std::string::npos) return std::nullopt;
    return line.substr(at + 1, end - at - 1);
  }
  size_t end = line.find_first_of(",}", at);
  if (end == std::string::npos) return std::nullopt;
  return line.substr(at, end - at);
}

// The peer process: stdin on a pipe we hold, stdout (JSON lines) and stderr
// (diagnostics) in files. ChildProcess kills it on every path.
class Peer {
 public:
  ~Peer() { Stop(); }

  void Start(std::vector<std::string> args) {
    stdout_path_ = absl::StrCat(TempDir(), "/aiortc_peer.out");
    stderr_path_ = absl::StrCat(TempDir(), "/aiortc_peer.err");
    auto child = ChildProcess::Start(
        std::move(args),
        {.stdin_pipe = true, .stdout_file = stdout_path_, .stderr_file = stderr_path_});
    ASSERT_TRUE(child.ok()) << child.status();
    child_ = std::move(*child);
  }

  void Write(absl::string_view text) {
    absl::Status written = child_->WriteStdin(text);
    ASSERT_TRUE(written.ok()) << written;
  }
  std::string Stdout() const { return ReadFile(stdout_path_); }
  std::string Stderr() const { return ReadFile(stderr_path_); }
  // The first stdout line with "type": "<type>", or "".
  std::string Line(absl::string_view type) const {
    const std::string tag = absl::StrCat("\"type\": \"", type, "\"");
    for (absl::string_view line : absl::StrSplit(Stdout(), '\n')) {
      if (line.find(tag) != absl::string_view::npos) return std::string(line);
    }
    return "";
  }
  std::string Diagnostics() const {
    return absl::StrCat("--- aiortc_peer stdout ---\n", Stdout(), "--- aiortc_peer stderr ---\n",
                        Stderr());
  }

  // Closes stdin and kills the peer outright, as before: its result is
  // already in the stdout file.
  void Stop() {
    if (child_ != nullptr) child_->Stop(TimeDelta::Zero());
  }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::string stdout_path_;
  std::string stderr_path_;
};

TEST(AiortcInteropTest, IceDtlsSrtpBothWays) {
  ASSERT_EQ(access(kPython, X_OK), 0)
      << kPython << " is missing: install Debian's python3-aiortc (./rtcsim setup, or "
      << "apt-get install python3-aiortc)";
  ASSERT_EQ(std::system(absl::StrCat(kPython, " -c 'import aiortc' 2>/dev/null").c_str()), 0)
      << "aiortc is not importable by " << kPython
      << ": install Debian's python3-aiortc (./rtcsim setup, or apt-get install python3-aiortc)";
  const std::string script = PeerScript();
  ASSERT_EQ(access(script.c_str(), R_OK), 0) << script;

  RealEnv env;
  Peer peer;
  ASSERT_NO_FATAL_FAILURE(peer.Start({kPython, script}));
  ASSERT_TRUE(PollUntil(
      env, [&] { return !peer.Line("local").empty(); }, kTimeout))
      << peer.Diagnostics();
  const std::string local = peer.Line("local");
  auto peer_ufrag = Field(local, "ufrag");
  auto peer_pwd = Field(local, "pwd");
  auto peer_candidate = Field(local, "candidates");
  auto peer_fingerprint = Field(local, "fingerprint");
  auto peer_ssrc = Field(local, "ssrc");
  ASSERT_TRUE(peer_ufrag && peer_pwd && peer_candidate && peer_fingerprint && peer_ssrc) << local;
  auto remote_candidate = ice::ParseCandidate(*peer_candidate);
  ASSERT_TRUE(remote_candidate.ok()) << remote_candidate.status();
  auto remote_fingerprint = dtls::Fingerprint::Parse(*peer_fingerprint);
  ASSERT_TRUE(remote_fingerprint.ok()) << remote_fingerprint.status();
  const uint32_t aiortc_ssrc = static_cast<uint32_t>(std::stoul(*peer_ssrc));

  // Our side: ICE (controlling) + DTLS (client) + SRTP.
  std::unique_ptr<ice::IceAgent> ice;
  std::unique_ptr<dtls::DtlsOverIce> glue;
  std::unique_ptr<srtp::SrtpSession> srtp;
  bool ice_connected = false;
  uint64_t rtp_from_aiortc = 0, rtcp_from_aiortc = 0, other_ssrc = 0, bad_payload_type = 0;

  auto handle_srtp = [&](absl::Span<const uint8_t> data) {
    // RFC 7983: 128..191 is RTP/RTCP; RFC 5761 §4: RTCP packet types 192..223.
    if (srtp == nullptr || data.size() < 2 || data[0] < 128 || data[0] > 191) return;
    std::vector<uint8_t> packet(data.begin(), data.end());
    const uint8_t pt = data[1];
    if (pt >= 192 && pt <= 223) {
      if (srtp->UnprotectRtcp(packet).ok()) ++rtcp_from_aiortc;
      return;
    }
    if (!srtp->UnprotectRtp(packet).ok()) return;
    auto view = rtp::RtpPacketView::Parse(packet);
    if (!view.ok()) return;
    if (view->ssrc() != aiortc_ssrc) {
      ++other_ssrc;
    } else if (view->payload_type() != kOpusPayloadType) {
      ++bad_payload_type;
    } else {
      ++rtp_from_aiortc;
    }
  };

  ice::IceAgentConfig ice_config;
  ice_config.role = ice::IceRole::kControlling;
  ice_config.local_addresses = {IpAddress::V4(127, 0, 0, 1)};
  ice::IceAgent::Callbacks ice_callbacks;
  ice_callbacks.on_data = [&](absl::Span<const uint8_t> data) {
    if (glue != nullptr && glue->HandleIceData(data)) return;
    handle_srtp(data);
  };
  ice_callbacks.on_state = [&](ice::IceConnectionState state) {
    if (state == ice::IceConnectionState::kConnected ||
        state == ice::IceConnectionState::kCompleted) {
      ice_connected = true;
    }
    if (glue != nullptr) glue->HandleIceState(state);
  };
  ice = std::make_unique<ice::IceAgent>(env, ice_config, ice_callbacks);

  auto certificate = dtls::DtlsCertificate::Generate(env);
  ASSERT_TRUE(certificate.ok()) << certificate.status();
  dtls::DtlsTransportConfig dtls_config;
  dtls_config.role = dtls::DtlsRole::kClient;
  dtls_config.certificate = *certificate;
  dtls_config.remote_fingerprints = {*remote_fingerprint};
  dtls_config.srtp_profiles = {dtls::SrtpProfile::kAes128CmSha1_80};
  dtls::DtlsTransport::Callbacks dtls_callbacks;
  auto created = dtls::DtlsOverIce::Create(env, *ice, dtls_config, dtls_callbacks);
  ASSERT_TRUE(created.ok()) << created.status();
  glue = std::move(*created);

  ice->SetRemoteCredentials({*peer_ufrag, *peer_pwd});
  ASSERT_TRUE(ice->GatherCandidates().ok());
  // Host candidates are reported from a task, not inside GatherCandidates().
  ASSERT_TRUE(env.RunUntil([&] { return !ice->local_candidates().empty(); }, kTimeout));
  std::vector<ice::Candidate> ours = ice->local_candidates();
  ASSERT_TRUE(ice->AddRemoteCandidate(*remote_candidate).ok());
  ice->AddRemoteEndOfCandidates();

  peer.Write(absl::StrCat(
      "{\"ufrag\": \"", ice->local_credentials().ufrag, "\", \"pwd\": \"",
      ice->local_credentials().pwd, "\", \"candidate\": \"", ice::SerializeCandidate(ours[0]),
      "\", \"fingerprint\": \"", (*certificate)->fingerprint().ToString(),
      "\", \"dtls_role\": \"server\", \"ssrc\": ", kOurSsrc, ", \"seconds\": 5}\n"));

  ASSERT_TRUE(env.RunUntil(
      [&] {
        return glue->transport().state() != dtls::DtlsTransportState::kNew &&
               glue->transport().state() != dtls::DtlsTransportState::kConnecting;
      },
      kTimeout))
      << "ICE " << ice::ToString(ice->state()) << "\n"
      << peer.Diagnostics();
  EXPECT_TRUE(ice_connected);
  ASSERT_EQ(glue->transport().state(), dtls::DtlsTransportState::kConnected)
      << glue->transport().error() << "\n"
      << peer.Diagnostics();
  auto keys = glue->transport().srtp_keying_material();
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(keys->profile, dtls::SrtpProfile::kAes128CmSha1_80);
  EXPECT_FALSE(keys->local_key.empty());
  EXPECT_FALSE(keys->remote_key.empty());
  EXPECT_NE(keys->local_key, keys->remote_key);
  auto session = srtp::SrtpSession::Create(*keys);
  ASSERT_TRUE(session.ok()) << session.status();
  srtp = std::move(*session);

  // 150 Opus packets, one per 20 ms, as a real sender paces them.
  int sent = 0, send_errors = 0;
  std::function<void()> send_next = [&] {
    std::vector<uint8_t> packet;
    auto built = rtp::RtpPacketBuilder()
                     .set_payload_type(kOpusPayloadType)
                     .set_sequence_number(rtp::SeqNum(static_cast<uint16_t>(1000 + sent)))
                     .set_timestamp(static_cast<uint32_t>(960 * sent))
                     .set_ssrc(kOurSsrc)
                     .set_marker(sent == 0)
                     .set_payload(kOpusSilence)
                     .Build();
    if (!built.ok() || !srtp->ProtectRtp(*built).ok() || !ice->Send(*built).ok()) ++send_errors;
    if (++sent < kPacketsToSend) env.PostDelayedTask(TimeDelta::Millis(20), send_next);
  };
  send_next();

  ASSERT_TRUE(PollUntil(
      env, [&] { return !peer.Line("result").empty(); }, kTimeout))
      << "sent " << sent << "\n"
      << peer.Diagnostics();
  const std::string result = peer.Line("result");
  EXPECT_EQ(Field(result, "error"), std::nullopt) << peer.Diagnostics();
  EXPECT_EQ(sent, kPacketsToSend);
  EXPECT_EQ(send_errors, 0);
  EXPECT_EQ(Field(result, "ice_role"), "controlled") << result;
  EXPECT_EQ(ice->role(), ice::IceRole::kControlling);
  EXPECT_EQ(Field(result, "ice_state"), "completed") << result;
  EXPECT_EQ(Field(result, "dtls_state"), "connected") << result;
  auto received = Field(result, "packets_received");
  ASSERT_TRUE(received.has_value()) << result;
  EXPECT_GE(std::stoi(*received), 50) << result << "\n" << peer.Diagnostics();

  const srtp::SrtpSessionStats& stats = srtp->stats();
  EXPECT_GE(rtp_from_aiortc, 50u);
  EXPECT_GE(rtcp_from_aiortc, 1u);  // aiortc's SR/RR, about one a second
  EXPECT_EQ(other_ssrc, 0u);
  EXPECT_EQ(bad_payload_type, 0u);
  EXPECT_EQ(stats.auth_failures, 0u);
  EXPECT_EQ(stats.replay_drops, 0u);
  EXPECT_EQ(stats.other_errors, 0u);
  std::cout << "aiortc -> us: " << rtp_from_aiortc << " SRTP, " << rtcp_from_aiortc
            << " SRTCP unprotected; us -> aiortc: " << sent << " sent, " << *received
            << " received (" << Field(result, "frames_received").value_or("?")
            << " frames decoded); ICE " << ice::ToString(ice->state()) << ", DTLS "
            << dtls::ToString(keys->profile) << "\n";
  peer.Stop();
  glue->transport().Close();
  ice->Close();
}

}  // namespace
}  // namespace rtcsim
