#include "stack/jsep/jsep_session.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "stack/sdp/attributes.h"
#include "stack/sdp/session_description.h"

namespace rtcsim::jsep {
namespace {

using sdp::Direction;

LocalTransportInfo Transport(absl::string_view ufrag, absl::string_view pwd, uint8_t fp) {
  LocalTransportInfo t;
  t.ice_ufrag = std::string(ufrag);
  t.ice_pwd = std::string(pwd);
  t.fingerprint = dtls::Fingerprint{"sha-256", std::vector<uint8_t>(32, fp)};
  return t;
}
LocalTransportInfo TransportA() { return Transport("aaaa", "aaaaaaaaaaaaaaaaaaaaaaaa", 0xAA); }
LocalTransportInfo TransportB() { return Transport("bbbb", "bbbbbbbbbbbbbbbbbbbbbbbb", 0xBB); }

std::string ReadTestdata(absl::string_view name) {
  std::ifstream in(absl::StrCat("stack/sdp/testdata/", name), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

sdp::SessionDescription MustParse(absl::string_view text) {
  auto d = sdp::Parse(text);
  EXPECT_TRUE(d.ok()) << d.status();
  return *d;
}

std::optional<std::string> Mid(const sdp::MediaDescription& m) {
  return sdp::FirstValue(m.attributes, "mid");
}

std::vector<std::string> Bundle(absl::string_view text) {
  auto groups = sdp::BundleGroups(MustParse(text));
  if (!groups.ok() || groups->empty()) return {};
  return groups->front();
}

// Removes every line that starts with `prefix`.
std::string DropLines(absl::string_view text, absl::string_view prefix) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, "\r\n", absl::SkipEmpty())) {
    if (absl::StartsWith(line, prefix)) continue;
    absl::StrAppend(&out, line, "\r\n");
  }
  return out;
}

// Offer from `a`, answer from `b`, both applied.
void Negotiate(JsepSession& a, JsepSession& b, const LocalTransportInfo& ta = TransportA(),
               const LocalTransportInfo& tb = TransportB()) {
  auto offer = a.CreateOffer(ta);
  ASSERT_TRUE(offer.ok()) << offer.status();
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  auto r = b.SetRemoteDescription(SdpType::kOffer, *offer);
  ASSERT_TRUE(r.ok()) << r.status();
  auto answer = b.CreateAnswer(tb);
  ASSERT_TRUE(answer.ok()) << answer.status();
  auto l = b.SetLocalDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(l.ok()) << l.status();
  auto r2 = a.SetRemoteDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(r2.ok()) << r2.status();
}

JsepConfig Config(absl::string_view session_id) {
  JsepConfig c;
  c.session_id = std::string(session_id);
  return c;
}

TEST(JsepEnumsTest, ToStringAndParse) {
  EXPECT_EQ(ToString(SdpType::kPranswer), "pranswer");
  EXPECT_EQ(*ParseSdpType("rollback"), SdpType::kRollback);
  EXPECT_FALSE(ParseSdpType("Offer").ok());
  EXPECT_EQ(ToString(SignalingState::kHaveRemotePranswer), "have-remote-pranswer");
  EXPECT_EQ(ToString(MediaKind::kApplication), "application");
}

TEST(JsepSessionTest, OfferAnswerAudioVideoData) {
  JsepSession a(Config("1111")), b(Config("2222"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1001);
  a.AddTransceiver(MediaKind::kVideo, Direction::kSendRecv, 1002);
  a.EnableDataChannel();
  EXPECT_TRUE(a.negotiation_needed());

  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(offer.ok()) << offer.status();
  const sdp::SessionDescription o = MustParse(*offer);
  EXPECT_TRUE(absl::StartsWith(*offer, "v=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"))
      << *offer;
  EXPECT_EQ(Bundle(*offer), (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(o.media.size(), 3u);
  EXPECT_EQ(o.media[0].media, "audio");
  EXPECT_EQ(o.media[0].proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(o.media[0].port, 9);
  EXPECT_EQ(o.media[0].formats, (std::vector<std::string>{"111"}));
  EXPECT_EQ(o.media[1].formats, (std::vector<std::string>{"96"}));
  EXPECT_EQ(o.media[2].proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(o.media[2].formats, (std::vector<std::string>{"webrtc-datachannel"}));
  for (size_t i = 0; i < 3; ++i) {
    const auto& m = o.media[i];
    EXPECT_EQ(Mid(m), absl::StrCat(i));
    EXPECT_EQ(sdp::FirstValue(m.attributes, "setup"), "actpass");
    EXPECT_EQ(sdp::FirstValue(m.attributes, "ice-ufrag"), "aaaa");
    EXPECT_EQ(sdp::FirstValue(m.attributes, "ice-options"), "trickle");
    EXPECT_TRUE(sdp::HasAttribute(m.attributes, "fingerprint"));
    if (i < 2) {
      EXPECT_TRUE(sdp::HasAttribute(m.attributes, "rtcp-mux"));
      EXPECT_TRUE(sdp::HasAttribute(m.attributes, "rtcp-rsize"));
      EXPECT_EQ(sdp::GetDirection(m.attributes), Direction::kSendRecv);
      EXPECT_TRUE(sdp::HasAttribute(m.attributes, "msid"));
    }
  }
  EXPECT_EQ(sdp::FirstValue(o.media[0].attributes, "ssrc"), "1001 cname:rtcsim");
  EXPECT_EQ(sdp::FirstValue(o.media[2].attributes, "sctp-port"), "5000");
  EXPECT_EQ(sdp::FirstValue(o.media[2].attributes, "max-message-size"), "262144");

  auto la = a.SetLocalDescription(SdpType::kOffer, *offer);
  ASSERT_TRUE(la.ok()) << la.status();
  EXPECT_TRUE(la->is_offerer);
  EXPECT_FALSE(la->stable);
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveLocalOffer);
  EXPECT_EQ(a.transceivers()[0].mid, "0");
  EXPECT_EQ(a.transceivers()[1].mid, "1");

  auto rb = b.SetRemoteDescription(SdpType::kOffer, *offer);
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_TRUE(rb->has_remote);
  EXPECT_FALSE(rb->is_offerer);
  EXPECT_EQ(rb->remote.ice_ufrag, "aaaa");
  EXPECT_EQ(rb->remote.setup, dtls::DtlsSetup::kActpass);
  EXPECT_EQ(rb->remote.ice_options, (std::vector<std::string>{"trickle"}));
  ASSERT_EQ(rb->remote.fingerprints.size(), 1u);
  EXPECT_EQ(b.signaling_state(), SignalingState::kHaveRemoteOffer);
  // W3C: transceivers created for the offered media, recvonly.
  ASSERT_EQ(b.transceivers().size(), 2u);
  EXPECT_EQ(b.transceivers()[0].kind, MediaKind::kAudio);
  EXPECT_EQ(b.transceivers()[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(b.transceivers()[1].mid, "1");

  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok()) << answer.status();
  const sdp::SessionDescription ans = MustParse(*answer);
  EXPECT_EQ(Bundle(*answer), (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(ans.media.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Mid(ans.media[i]), absl::StrCat(i));
    EXPECT_NE(ans.media[i].port, 0);
    EXPECT_EQ(sdp::FirstValue(ans.media[i].attributes, "setup"), "active");
  }
  EXPECT_EQ(sdp::GetDirection(ans.media[0].attributes), Direction::kRecvOnly);
  EXPECT_FALSE(sdp::HasAttribute(ans.media[0].attributes, "ssrc"));  // not sending

  auto lb = b.SetLocalDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(lb.ok()) << lb.status();
  EXPECT_TRUE(lb->stable);
  EXPECT_FALSE(lb->is_offerer);
  // RFC 5763 §5: the answerer (active) is the DTLS client.
  EXPECT_EQ(lb->dtls_role, dtls::DtlsRole::kClient);
  ASSERT_TRUE(lb->sctp.has_value());
  EXPECT_EQ(lb->sctp->mid, "2");
  EXPECT_EQ(lb->sctp->remote_max_message_size, 262144u);

  auto ra = a.SetRemoteDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(ra.ok()) << ra.status();
  EXPECT_TRUE(ra->stable);
  EXPECT_TRUE(ra->is_offerer);
  EXPECT_EQ(ra->dtls_role, dtls::DtlsRole::kServer);
  EXPECT_EQ(ra->remote.setup, dtls::DtlsSetup::kActive);
  EXPECT_EQ(ra->remote.ice_ufrag, "bbbb");
  ASSERT_TRUE(ra->sctp.has_value());
  EXPECT_EQ(ra->sctp->remote_port, 5000);
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  EXPECT_EQ(a.transceivers()[0].current_direction, Direction::kSendOnly);
  EXPECT_EQ(b.transceivers()[0].current_direction, Direction::kRecvOnly);
  EXPECT_EQ(a.transceivers()[0].codecs, DefaultAudioCodecs());
  EXPECT_EQ(a.current_local_description(), *offer);
  EXPECT_EQ(a.current_remote_description(), *answer);
  EXPECT_FALSE(a.pending_local_description().has_value());
  EXPECT_FALSE(a.negotiation_needed());
  EXPECT_FALSE(b.negotiation_needed());
}

// RFC 3264 §6.1: the answer direction for each offered direction and each
// direction the answerer wants.
TEST(JsepSessionTest, AnswerDirectionMatrix) {
  struct Row {
    Direction offered, wanted, answered;
  };
  const Direction SR = Direction::kSendRecv, SO = Direction::kSendOnly, RO = Direction::kRecvOnly,
                  IN = Direction::kInactive;
  const std::vector<Row> rows = {
      {SR, SR, SR}, {SR, SO, SO}, {SR, RO, RO}, {SR, IN, IN},  //
      {SO, SR, RO}, {SO, SO, IN}, {SO, RO, RO}, {SO, IN, IN},  //
      {RO, SR, SO}, {RO, SO, SO}, {RO, RO, IN}, {RO, IN, IN},  //
      {IN, SR, IN}, {IN, SO, IN}, {IN, RO, IN}, {IN, IN, IN},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(absl::StrCat(sdp::ToString(row.offered), " / ", sdp::ToString(row.wanted)));
    JsepSession a(Config("1")), b(Config("2"));
    a.AddTransceiver(MediaKind::kAudio, row.offered, 1);
    b.AddTransceiver(MediaKind::kAudio, row.wanted, 2);
    auto offer = a.CreateOffer(TransportA());
    ASSERT_TRUE(offer.ok());
    ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
    ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
    // Whichever transceiver got mid 0, it wants `wanted`.
    for (size_t i = 0; i < b.transceivers().size(); ++i) {
      if (b.transceivers()[i].mid == "0") {
        ASSERT_TRUE(b.SetDirection(i, row.wanted).ok());
      }
    }
    auto answer = b.CreateAnswer(TransportB());
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(sdp::GetDirection(MustParse(*answer).media[0].attributes), row.answered);
    ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
    ASSERT_TRUE(a.SetRemoteDescription(SdpType::kAnswer, *answer).ok());
    // W3C currentDirection: the offerer sees the reverse.
    const Direction reversed = row.answered == SO ? RO : row.answered == RO ? SO : row.answered;
    EXPECT_EQ(a.transceivers()[0].current_direction, reversed);
  }
}

// The W3C addTrack rule: an unassociated transceiver of the offered kind is
// reused for a sendrecv/recvonly offer instead of creating another.
TEST(JsepSessionTest, ReusesUnassociatedTransceiver) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  b.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 2);
  Negotiate(a, b);
  ASSERT_EQ(b.transceivers().size(), 1u);
  EXPECT_EQ(b.transceivers()[0].current_direction, Direction::kSendRecv);
  const auto answer = MustParse(*b.local_description());
  EXPECT_EQ(sdp::FirstValue(answer.media[0].attributes, "ssrc"), "2 cname:rtcsim");
}

TEST(JsepSessionTest, CodecsFromOfferInOfferersOrderWithItsPayloadTypes) {
  JsepConfig config = Config("2");
  config.audio_codecs = {Codec{9, "G722", 8000, 0, "", {}}, DefaultAudioCodecs()[0]};
  JsepSession b(config);
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, ReadTestdata("chromium_offer.sdp")).ok());
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok()) << answer.status();
  const auto d = MustParse(*answer);
  // Offer order is 111 63 9 ...: opus before G722 although we prefer G722;
  // red/rtx/H264 are not ours and are dropped.
  EXPECT_EQ(d.media[0].formats, (std::vector<std::string>{"111", "9"}));
  EXPECT_EQ(d.media[1].formats, (std::vector<std::string>{"96"}));
  EXPECT_TRUE(absl::StrContains(*answer, "a=rtpmap:9 G722/8000\r\n"));
  // Feedback only where both have it.
  EXPECT_TRUE(absl::StrContains(*answer, "a=rtcp-fb:96 nack pli\r\n"));
  EXPECT_FALSE(absl::StrContains(*answer, "goog-remb"));
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  ASSERT_EQ(b.transceivers()[0].codecs.size(), 2u);
  EXPECT_EQ(b.transceivers()[0].codecs[0].name, "opus");

  // Firefox puts opus on 109: the answer uses 109.
  JsepSession c(Config("3"));
  ASSERT_TRUE(c.SetRemoteDescription(SdpType::kOffer, ReadTestdata("firefox_offer.sdp")).ok());
  auto answer2 = c.CreateAnswer(TransportB());
  ASSERT_TRUE(answer2.ok());
  EXPECT_EQ(MustParse(*answer2).media[0].formats, (std::vector<std::string>{"109"}));
  EXPECT_TRUE(absl::StrContains(*answer2, "a=rtpmap:109 opus/48000/2\r\n"));
  // A later offer from c keeps PT 109 for opus (RFC 3264 §8.3.2).
  ASSERT_TRUE(c.SetLocalDescription(SdpType::kAnswer, *answer2).ok());
  auto reoffer = c.CreateOffer(TransportB());
  ASSERT_TRUE(reoffer.ok());
  EXPECT_EQ(MustParse(*reoffer).media[0].formats, (std::vector<std::string>{"109"}));
}

std::string MediaLines(absl::string_view mid, absl::string_view extra = "") {
  return absl::StrCat(
      "c=IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:rrrr\r\n"
      "a=ice-pwd:rrrrrrrrrrrrrrrrrrrrrrrr\r\n"
      "a=fingerprint:sha-256 "
      "11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:"
      "11:11\r\n"
      "a=setup:actpass\r\n"
      "a=mid:",
      mid, "\r\n", extra);
}

TEST(JsepSessionTest, RejectsWhatItCannotUse) {
  const std::string offer = absl::StrCat(
      "v=0\r\no=- 5 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE t a v1 ok d1 d2\r\n",
      "m=text 9 UDP/TLS/RTP/SAVPF 98\r\n",
      MediaLines("t", "a=rtcp-mux\r\na=rtpmap:98 t140/1000\r\n"), "m=audio 9 RTP/AVP 0\r\n",
      MediaLines("a"), "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n",
      MediaLines("v1", "a=rtcp-mux\r\na=rtpmap:102 H264/90000\r\n"),
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
      MediaLines("ok", "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"),
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
      MediaLines("d1", "a=sctp-port:5000\r\n"),
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
      MediaLines("d2", "a=sctp-port:5001\r\n"));
  JsepSession b(Config("2"));
  auto r = b.SetRemoteDescription(SdpType::kOffer, offer);
  ASSERT_TRUE(r.ok()) << r.status();
  // Only the usable audio section got a transceiver.
  ASSERT_EQ(b.transceivers().size(), 1u);
  EXPECT_EQ(b.transceivers()[0].mid, "ok");
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok()) << answer.status();
  const auto d = MustParse(*answer);
  ASSERT_EQ(d.media.size(), 6u);
  const std::vector<uint16_t> zero = {1, 1, 1, 0, 0, 1};  // 1 = rejected
  for (size_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(d.media[i].port == 0, zero[i] == 1);
    EXPECT_EQ(d.media[i].media, MustParse(offer).media[i].media);
  }
  EXPECT_EQ(d.media[1].proto, "RTP/AVP");
  EXPECT_EQ(Mid(d.media[0]), "t");
  // RFC 8843 §7.3.3: rejected sections are not in the group; the tag is
  // the first accepted one in the offer's order.
  EXPECT_EQ(Bundle(*answer), (std::vector<std::string>{"ok", "d1"}));
  auto l = b.SetLocalDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_TRUE(l->sctp.has_value());
  EXPECT_EQ(l->sctp->mid, "d1");
  EXPECT_EQ(b.CandidateTarget(), std::make_pair(std::string("ok"), size_t{3}));
}

TEST(JsepSessionTest, RenegotiationAddsDataChannelAndKeepsMids) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 7);
  Negotiate(a, b);
  EXPECT_FALSE(a.negotiation_needed());
  EXPECT_FALSE(a.sctp().has_value());
  const std::string first = *a.current_local_description();

  a.EnableDataChannel();
  EXPECT_TRUE(a.negotiation_needed());
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(offer.ok());
  const auto d = MustParse(*offer);
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(Mid(d.media[0]), "0");
  EXPECT_EQ(d.media[0].media, "audio");
  EXPECT_EQ(Mid(d.media[1]), "1");
  EXPECT_EQ(d.media[1].media, "application");
  EXPECT_EQ(Bundle(*offer), (std::vector<std::string>{"0", "1"}));
  // RFC 9429 §5.2.2: a changed offer gets the next session version.
  EXPECT_EQ(MustParse(first).origin.session_version, "1");
  EXPECT_EQ(d.origin.session_version, "2");
  EXPECT_EQ(d.origin.session_id, "1");
  // Same offer again: same version.
  EXPECT_EQ(MustParse(*a.CreateOffer(TransportA())).origin.session_version, "2");

  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  auto ra = a.SetRemoteDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(ra.ok());
  EXPECT_FALSE(ra->remote_ice_restart);
  ASSERT_TRUE(ra->sctp.has_value());
  EXPECT_EQ(ra->sctp->mid, "1");
  EXPECT_EQ(ra->dtls_role, dtls::DtlsRole::kServer);
  EXPECT_FALSE(a.negotiation_needed());

  // Now b offers: its new video section is appended as mid 2, and since b
  // is DTLS client already, a answers passive to keep the roles (RFC 9429
  // §5.3.2).
  b.AddTransceiver(MediaKind::kVideo, Direction::kSendOnly, 9);
  EXPECT_TRUE(b.negotiation_needed());
  auto offer2 = b.CreateOffer(TransportB());
  ASSERT_TRUE(offer2.ok());
  const auto d2 = MustParse(*offer2);
  ASSERT_EQ(d2.media.size(), 3u);
  EXPECT_EQ(Mid(d2.media[2]), "2");
  EXPECT_EQ(sdp::FirstValue(d2.media[2].attributes, "setup"), "actpass");
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kOffer, *offer2).ok());
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kOffer, *offer2).ok());
  auto answer2 = a.CreateAnswer(TransportA());
  ASSERT_TRUE(answer2.ok());
  EXPECT_EQ(sdp::FirstValue(MustParse(*answer2).media[0].attributes, "setup"), "passive");
  auto la = a.SetLocalDescription(SdpType::kAnswer, *answer2);
  ASSERT_TRUE(la.ok());
  EXPECT_EQ(la->dtls_role, dtls::DtlsRole::kServer);
  auto rb = b.SetRemoteDescription(SdpType::kAnswer, *answer2);
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(rb->dtls_role, dtls::DtlsRole::kClient);
  EXPECT_EQ(b.transceivers()[1].current_direction, Direction::kSendOnly);
}

TEST(JsepSessionTest, StoppedTransceiverGetsPortZero) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  a.AddTransceiver(MediaKind::kVideo, Direction::kSendRecv, 2);
  Negotiate(a, b);
  ASSERT_TRUE(a.StopTransceiver(0).ok());
  EXPECT_TRUE(a.negotiation_needed());
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(offer.ok());
  const auto d = MustParse(*offer);
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.media[0].port, 0);
  EXPECT_EQ(Mid(d.media[0]), "0");
  EXPECT_EQ(Bundle(*offer), (std::vector<std::string>{"1"}));
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(MustParse(*answer).media[0].port, 0);
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kAnswer, *answer).ok());
  EXPECT_FALSE(a.negotiation_needed());
  EXPECT_TRUE(b.transceivers()[0].stopped);
  EXPECT_EQ(b.transceivers()[0].current_direction, Direction::kInactive);
  // The video section is now the BUNDLE tag.
  EXPECT_EQ(a.CandidateTarget(), std::make_pair(std::string("1"), size_t{1}));
}

// RFC 9429 §5.2.2: a browser may recycle a rejected m-section for a new
// transceiver, with a new mid; a changed mid on a live section is refused.
TEST(JsepSessionTest, RemoteOfferRecyclesRejectedSection) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  a.AddTransceiver(MediaKind::kVideo, Direction::kSendRecv, 2);
  Negotiate(a, b);
  ASSERT_TRUE(a.StopTransceiver(0).ok());
  Negotiate(a, b);
  sdp::SessionDescription offer = MustParse(*a.CreateOffer(TransportA()));
  ASSERT_EQ(offer.media[0].port, 0);
  sdp::MediaDescription recycled = offer.media[1];
  sdp::SetDirection(recycled.attributes, Direction::kSendRecv);
  for (auto& attr : recycled.attributes) {
    if (attr.name == "mid") attr.value = "2";
  }
  offer.media[0] = recycled;
  for (auto& attr : offer.attributes) {
    if (attr.name == "group") attr.value = "BUNDLE 2 1";
  }
  auto r = b.SetRemoteDescription(SdpType::kOffer, sdp::Serialize(offer));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(b.transceivers().size(), 3u);
  EXPECT_EQ(b.transceivers()[2].mid, "2");
  EXPECT_EQ(b.transceivers()[2].kind, MediaKind::kVideo);
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kRollback, "").ok());

  // The live video section (index 1) may not change its mid.
  for (auto& attr : offer.media[1].attributes) {
    if (attr.name == "mid") attr.value = "9";
  }
  for (auto& attr : offer.attributes) {
    if (attr.name == "group") attr.value = "BUNDLE 2 9";
  }
  EXPECT_EQ(b.SetRemoteDescription(SdpType::kOffer, sdp::Serialize(offer)).status().message(),
            "m-section 1 (mid 9): the mid was 1 (RFC 9429 §5.10: mids do not change)");
}

TEST(JsepSessionTest, DirectionChangeNeedsNegotiation) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  Negotiate(a, b);
  EXPECT_FALSE(a.negotiation_needed());
  ASSERT_TRUE(a.SetDirection(0, Direction::kRecvOnly).ok());
  EXPECT_TRUE(a.negotiation_needed());
  ASSERT_TRUE(a.SetDirection(0, Direction::kSendRecv).ok());
  EXPECT_FALSE(a.negotiation_needed());
  EXPECT_FALSE(a.SetDirection(5, Direction::kSendRecv).ok());
}

TEST(JsepSessionTest, RollbackLocalOffer) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  Negotiate(a, b);
  const auto local = a.local_description();
  a.AddTransceiver(MediaKind::kVideo, Direction::kSendRecv, 2);
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(a.transceivers()[1].mid, "1");
  EXPECT_EQ(a.local_description(), *offer);

  auto r = a.SetLocalDescription(SdpType::kRollback, "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->stable);
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(a.pending_local_description().has_value());
  EXPECT_EQ(a.local_description(), local);
  ASSERT_EQ(a.transceivers().size(), 2u);             // the app's transceiver stays...
  EXPECT_FALSE(a.transceivers()[1].mid.has_value());  // ...without a mid
  EXPECT_EQ(a.transceivers()[0].mid, "0");
  EXPECT_TRUE(a.negotiation_needed());
}

TEST(JsepSessionTest, RollbackRemoteOffer) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  Negotiate(a, b);
  const auto remote = b.remote_description();
  const auto transceivers = b.transceivers();
  a.AddTransceiver(MediaKind::kVideo, Direction::kSendRecv, 2);
  a.EnableDataChannel();
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(b.transceivers().size(), 2u);
  EXPECT_EQ(b.pending_remote_description(), *offer);

  auto r = b.SetRemoteDescription(SdpType::kRollback, "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(b.signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(b.pending_remote_description().has_value());
  EXPECT_EQ(b.remote_description(), remote);
  ASSERT_EQ(b.transceivers().size(), 1u);  // the one the offer made is gone
  EXPECT_EQ(b.transceivers()[0].mid, transceivers[0].mid);
  EXPECT_FALSE(b.sctp().has_value());
  // And the same offer can be applied afterwards.
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
}

TEST(JsepSessionTest, Pranswer) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok());
  auto lp = b.SetLocalDescription(SdpType::kPranswer, *answer);
  ASSERT_TRUE(lp.ok()) << lp.status();
  EXPECT_FALSE(lp->stable);
  EXPECT_EQ(b.signaling_state(), SignalingState::kHaveLocalPranswer);
  EXPECT_EQ(b.pending_local_description(), *answer);
  EXPECT_FALSE(b.current_local_description().has_value());

  auto rp = a.SetRemoteDescription(SdpType::kPranswer, *answer);
  ASSERT_TRUE(rp.ok()) << rp.status();
  EXPECT_FALSE(rp->stable);
  EXPECT_EQ(rp->dtls_role, dtls::DtlsRole::kServer);
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveRemotePranswer);
  EXPECT_EQ(a.pending_remote_description(), *answer);
  // No rollback from a pranswer state (W3C).
  EXPECT_EQ(a.SetLocalDescription(SdpType::kRollback, "").status().message(),
            "InvalidStateError: cannot set local rollback in state have-remote-pranswer");

  // The final answer: createAnswer again is allowed in have-local-pranswer.
  auto final_answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(final_answer.ok());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *final_answer).ok());
  auto ra = a.SetRemoteDescription(SdpType::kAnswer, *final_answer);
  ASSERT_TRUE(ra.ok());
  EXPECT_TRUE(ra->stable);
  EXPECT_EQ(a.current_remote_description(), *final_answer);
  EXPECT_FALSE(a.pending_remote_description().has_value());
}

TEST(JsepSessionTest, StateErrors) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  b.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 2);
  auto offer_a = a.CreateOffer(TransportA());
  auto offer_b = b.CreateOffer(TransportB());
  ASSERT_TRUE(offer_a.ok() && offer_b.ok());

  EXPECT_EQ(a.SetRemoteDescription(SdpType::kAnswer, *offer_b).status().message(),
            "InvalidStateError: cannot set remote answer in state stable");
  EXPECT_EQ(a.SetLocalDescription(SdpType::kAnswer, *offer_a).status().message(),
            "InvalidStateError: cannot set local answer in state stable");
  EXPECT_EQ(a.SetRemoteDescription(SdpType::kPranswer, *offer_b).status().message(),
            "InvalidStateError: cannot set remote pranswer in state stable");
  EXPECT_EQ(a.SetLocalDescription(SdpType::kRollback, "").status().message(),
            "InvalidStateError: cannot set local rollback in state stable");
  EXPECT_EQ(a.CreateAnswer(TransportA()).status().message(),
            "InvalidStateError: cannot create answer in state stable");
  EXPECT_EQ(a.CreateAnswer(TransportA()).status().code(), absl::StatusCode::kFailedPrecondition);

  // Glare: both sides set their own offer, then get the other's.
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer_a).ok());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kOffer, *offer_b).ok());
  auto glare = a.SetRemoteDescription(SdpType::kOffer, *offer_b);
  EXPECT_EQ(glare.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(glare.status().message(),
            "InvalidStateError: cannot set remote offer in state have-local-offer");
  EXPECT_EQ(a.SetLocalDescription(SdpType::kAnswer, *offer_a).status().message(),
            "InvalidStateError: cannot set local answer in state have-local-offer");
  // The failed calls changed nothing.
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveLocalOffer);
  EXPECT_EQ(a.pending_local_description(), *offer_a);

  // The polite peer rolls back and takes the other offer.
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kRollback, "").ok());
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kOffer, *offer_b).ok());
  EXPECT_EQ(a.CreateOffer(TransportA()).status().message(),
            "InvalidStateError: cannot create offer in state have-remote-offer");
  EXPECT_EQ(a.SetLocalDescription(SdpType::kOffer, *offer_a).status().message(),
            "InvalidStateError: cannot set local offer in state have-remote-offer");
  auto answer = a.CreateAnswer(TransportA());
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kAnswer, *answer).ok());
  // a's own transceiver was reused for b's audio offer.
  EXPECT_EQ(a.transceivers().size(), 1u);
  EXPECT_EQ(a.transceivers()[0].current_direction, Direction::kSendRecv);

  a.Close();
  EXPECT_EQ(a.signaling_state(), SignalingState::kClosed);
  EXPECT_EQ(a.CreateOffer(TransportA()).status().message(),
            "InvalidStateError: the RTCPeerConnection is closed");
  EXPECT_FALSE(a.negotiation_needed());
}

TEST(JsepSessionTest, LocalDescriptionMustBeTheCreatedOne) {
  JsepSession a(Config("1"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(offer.ok());
  const std::string munged =
      absl::StrReplaceAll(*offer, {{"a=ice-ufrag:aaaa", "a=ice-ufrag:zzzz"}});
  auto r = a.SetLocalDescription(SdpType::kOffer, munged);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "InvalidModificationError")) << r.status();
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  JsepSession fresh(Config("1"));
  EXPECT_EQ(fresh.SetLocalDescription(SdpType::kOffer, *offer).status().message(),
            "InvalidModificationError: no offer was created to set as the local description");
}

TEST(JsepSessionTest, IceRestartDetection) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  Negotiate(a, b);
  // Same credentials: no restart.
  auto same = a.CreateOffer(TransportA());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *same).ok());
  auto r1 = b.SetRemoteDescription(SdpType::kOffer, *same);
  ASSERT_TRUE(r1.ok());
  EXPECT_FALSE(r1->remote_ice_restart);
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kRollback, "").ok());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kRollback, "").ok());

  const LocalTransportInfo restarted = Transport("cccc", "cccccccccccccccccccccccc", 0xAA);
  auto offer = a.CreateOffer(restarted);
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  auto r2 = b.SetRemoteDescription(SdpType::kOffer, *offer);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->remote_ice_restart);
  EXPECT_EQ(r2->remote.ice_ufrag, "cccc");
  auto answer = b.CreateAnswer(Transport("dddd", "dddddddddddddddddddddddd", 0xBB));
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  auto r3 = a.SetRemoteDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE(r3->remote_ice_restart);
}

TEST(JsepSessionTest, AnswersRealOffers) {
  struct Case {
    std::string file;
    size_t sections;
    bool legacy_data;
  };
  for (const Case& c : std::vector<Case>{{"aiortc_offer.sdp", 2, true},
                                         {"chromium_offer.sdp", 3, false},
                                         {"firefox_offer.sdp", 2, false}}) {
    SCOPED_TRACE(c.file);
    const std::string offer = ReadTestdata(c.file);
    ASSERT_FALSE(offer.empty());
    JsepSession b(Config("2"));
    auto r = b.SetRemoteDescription(SdpType::kOffer, offer);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->remote.candidates.empty());
    EXPECT_EQ(r->remote.setup, dtls::DtlsSetup::kActpass);
    auto answer = b.CreateAnswer(TransportB());
    ASSERT_TRUE(answer.ok()) << answer.status();
    const auto d = MustParse(*answer);
    ASSERT_EQ(d.media.size(), c.sections);
    for (const auto& m : d.media) EXPECT_NE(m.port, 0) << m.media;
    EXPECT_TRUE(absl::StrContains(*answer, "opus/48000/2"));
    if (c.sections == 3) {
      EXPECT_TRUE(absl::StrContains(*answer, "VP8/90000"));
    }
    if (c.legacy_data) {
      EXPECT_TRUE(absl::StrContains(*answer, "m=application 9 DTLS/SCTP 5000\r\n"));
      EXPECT_TRUE(absl::StrContains(*answer, "a=sctpmap:5000 webrtc-datachannel"));
    }
    auto l = b.SetLocalDescription(SdpType::kAnswer, *answer);
    ASSERT_TRUE(l.ok()) << l.status();
    ASSERT_TRUE(l->sctp.has_value());
    EXPECT_EQ(l->sctp->remote_port, 5000);
    EXPECT_EQ(l->dtls_role, dtls::DtlsRole::kClient);
  }
  // aiortc's data section with the legacy form turned off: rejected.
  JsepConfig strict = Config("2");
  strict.accept_legacy_dtls_sctp = false;
  JsepSession b(strict);
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, ReadTestdata("aiortc_offer.sdp")).ok());
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(MustParse(*answer).media[1].port, 0);
  EXPECT_EQ(Bundle(*answer), (std::vector<std::string>{"0"}));
  auto l = b.SetLocalDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE(l->sctp.has_value());
}

TEST(JsepSessionTest, FirefoxSessionLevelAttributes) {
  JsepSession b(Config("2"));
  auto r = b.SetRemoteDescription(SdpType::kOffer, ReadTestdata("firefox_offer.sdp"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->remote.ice_ufrag, "9c1e4f7a");
  EXPECT_EQ(r->remote.fingerprints.size(), 1u);  // session-level
  EXPECT_EQ(r->remote.ice_options, (std::vector<std::string>{"trickle"}));
  EXPECT_TRUE(r->remote.end_of_candidates);
  auto answer = b.CreateAnswer(TransportB());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  EXPECT_EQ(b.sctp()->remote_max_message_size, 1073741823u);
}

TEST(JsepSessionTest, RemoteCandidates) {
  JsepSession a(Config("1")), b(Config("2"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  a.EnableDataChannel();
  EXPECT_EQ(b.AddRemoteCandidate("candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host", "0",
                                 std::nullopt, std::nullopt)
                .status()
                .message(),
            "InvalidStateError: addIceCandidate needs a remote description");
  Negotiate(a, b);

  auto c1 = b.AddRemoteCandidate("candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host", "0",
                                 std::nullopt, "aaaa");
  ASSERT_TRUE(c1.ok()) << c1.status();
  ASSERT_TRUE(c1->has_value());
  EXPECT_EQ((*c1)->address.port(), 5000);
  auto c2 = b.AddRemoteCandidate(
      "a=candidate:2 1 udp 1686052607 203.0.113.7 6000 typ srflx raddr "
      "192.0.2.1 rport 5000",
      std::nullopt, size_t{1}, std::nullopt);
  ASSERT_TRUE(c2.ok()) << c2.status();
  auto end = b.AddRemoteCandidate("", "0", std::nullopt, std::nullopt);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());

  const auto remote = MustParse(*b.remote_description());
  EXPECT_EQ(sdp::FirstValue(remote.media[0].attributes, "candidate"),
            "1 1 udp 2122260223 192.0.2.1 5000 typ host");
  EXPECT_TRUE(sdp::HasAttribute(remote.media[0].attributes, "end-of-candidates"));
  EXPECT_TRUE(sdp::HasAttribute(remote.media[1].attributes, "candidate"));

  // Another ICE generation, unknown mid, index out of range, no target.
  const std::string cand = "candidate:3 1 udp 2122260223 192.0.2.3 5000 typ host";
  auto wrong = b.AddRemoteCandidate(cand, "0", std::nullopt, "zzzz");
  EXPECT_EQ(wrong.status().message(),
            "OperationError: ufrag zzzz does not match the remote description's (aaaa) for "
            "m-section 0 (mid 0)");
  EXPECT_FALSE(b.AddRemoteCandidate(cand, "7", std::nullopt, std::nullopt).ok());
  EXPECT_FALSE(b.AddRemoteCandidate(cand, std::nullopt, size_t{2}, std::nullopt).ok());
  EXPECT_EQ(b.AddRemoteCandidate(cand, std::nullopt, std::nullopt, std::nullopt).status().message(),
            "TypeError: candidate needs sdpMid or sdpMLineIndex");
  EXPECT_FALSE(b.AddRemoteCandidate("candidate:garbage", "0", std::nullopt, std::nullopt).ok());
  EXPECT_EQ(*b.remote_description(), sdp::Serialize(remote));  // failures changed nothing
}

TEST(JsepSessionTest, LocalCandidatesInDescriptions) {
  JsepSession a(Config("1"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  a.EnableDataChannel();
  EXPECT_FALSE(a.CandidateTarget().has_value());
  LocalTransportInfo t = TransportA();
  t.candidates.push_back(
      *ice::ParseCandidate("candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host"));
  auto offer = a.CreateOffer(t);
  ASSERT_TRUE(offer.ok());
  const auto d = MustParse(*offer);
  // RFC 9429 §5.2.1: the default candidate in the tag section's m= and c=.
  EXPECT_EQ(d.media[0].port, 5000);
  EXPECT_EQ(d.media[0].connections[0].address, "192.0.2.1");
  EXPECT_EQ(d.media[1].port, 9);
  EXPECT_FALSE(sdp::HasAttribute(d.media[1].attributes, "candidate"));
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(a.CandidateTarget(), std::make_pair(std::string("0"), size_t{0}));
  a.AddLocalCandidate(*ice::ParseCandidate(
      "candidate:2 1 udp 1686052607 203.0.113.7 6000 typ srflx raddr 192.0.2.1 rport 5000"));
  a.SetLocalGatheringComplete();
  const auto local = MustParse(*a.local_description());
  auto cands = sdp::GetAll<sdp::CandidateAttribute>(local.media[0].attributes);
  ASSERT_TRUE(cands.ok());
  EXPECT_EQ(cands->size(), 2u);
  EXPECT_TRUE(sdp::HasAttribute(local.media[0].attributes, "end-of-candidates"));
}

// Each required piece missing from an otherwise good remote description.
TEST(JsepSessionTest, RemoteDescriptionChecks) {
  JsepSession a(Config("1"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  const std::string offer = *a.CreateOffer(TransportA());
  struct Case {
    std::string drop;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"a=fingerprint:", "m-section 0 (mid 0): missing a=fingerprint (RFC 8842 §5.1)"},
           {"a=ice-ufrag:", "m-section 0 (mid 0): missing a=ice-ufrag (RFC 8839 §5.4)"},
           {"a=ice-pwd:", "m-section 0 (mid 0): missing a=ice-pwd (RFC 8839 §5.4)"},
           {"a=mid:", "m-section 0: missing a=mid (RFC 9429 §5.8.3, RFC 8843 §7.1)"},
           {"a=rtcp-mux", "m-section 0 (mid 0): missing a=rtcp-mux (RFC 8858 §4, RFC 9429 §5.8.3)"},
       }) {
    SCOPED_TRACE(c.drop);
    JsepSession b(Config("2"));
    std::string bad = DropLines(offer, c.drop);
    if (c.drop == "a=mid:") bad = DropLines(bad, "a=group:");
    auto r = b.SetRemoteDescription(SdpType::kOffer, bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(b.signaling_state(), SignalingState::kStable);
    EXPECT_FALSE(b.remote_description().has_value());
  }
  // No a=setup in an offer means actpass; in an answer it is an error.
  {
    JsepSession b(Config("2"));
    auto r = b.SetRemoteDescription(SdpType::kOffer, DropLines(offer, "a=setup:"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->remote.setup, dtls::DtlsSetup::kActpass);
    auto answer = b.CreateAnswer(TransportB());
    ASSERT_TRUE(answer.ok());
    ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, offer).ok());
    auto bad = a.SetRemoteDescription(SdpType::kAnswer, DropLines(*answer, "a=setup:"));
    EXPECT_EQ(bad.status().message(),
              "m-section 0 (mid 0): missing a=setup; an answer must say active or passive (RFC "
              "8842 §5.3)");
    auto actpass = a.SetRemoteDescription(
        SdpType::kAnswer, absl::StrReplaceAll(*answer, {{"a=setup:active", "a=setup:actpass"}}));
    EXPECT_FALSE(actpass.ok());
    EXPECT_EQ(a.signaling_state(), SignalingState::kHaveLocalOffer);
    // An answer with another m-line count or mid.
    auto wrong_mid = a.SetRemoteDescription(
        SdpType::kAnswer,
        absl::StrReplaceAll(*answer, {{"a=mid:0", "a=mid:x"}, {"BUNDLE 0", "BUNDLE x"}}));
    EXPECT_TRUE(absl::StrContains(wrong_mid.status().message(), "mid differs"))
        << wrong_mid.status();
    ASSERT_TRUE(a.SetRemoteDescription(SdpType::kAnswer, *answer).ok());
  }
  // RFC 8842 §5: no holdconn.
  {
    JsepSession b(Config("2"));
    auto r = b.SetRemoteDescription(
        SdpType::kOffer, absl::StrReplaceAll(offer, {{"a=setup:actpass", "a=setup:holdconn"}}));
    EXPECT_EQ(r.status().message(),
              "m-section 0 (mid 0): a=setup:holdconn is not supported (RFC 8842 §5)");
  }
  // BUNDLE names an unknown mid.
  {
    JsepSession b(Config("2"));
    auto r = b.SetRemoteDescription(
        SdpType::kOffer, absl::StrReplaceAll(offer, {{"a=group:BUNDLE 0", "a=group:BUNDLE 0 9"}}));
    EXPECT_EQ(r.status().message(),
              "a=group:BUNDLE names mid 9, which no m-section has (RFC 8843 §7.2)");
  }
  // SDP syntax errors carry the line.
  {
    JsepSession b(Config("2"));
    auto r = b.SetRemoteDescription(SdpType::kOffer, "v=0\r\no=broken\r\n");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status().message(), "line 2")) << r.status();
  }
}

TEST(JsepSessionTest, AnswerWithDifferentSectionCountRefused) {
  JsepSession a(Config("1")), b(Config("2")), c(Config("3"));
  a.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  c.AddTransceiver(MediaKind::kAudio, Direction::kSendRecv, 1);
  c.AddTransceiver(MediaKind::kVideo, Direction::kSendRecv, 1);
  auto offer = a.CreateOffer(TransportA());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  auto other = c.CreateOffer(TransportB());
  ASSERT_TRUE(c.SetLocalDescription(SdpType::kOffer, *other).ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *other).ok());
  auto answer = b.CreateAnswer(TransportB());
  auto r = a.SetRemoteDescription(SdpType::kAnswer, *answer);
  EXPECT_EQ(r.status().message(), "the remote answer has 2 m-sections, the offer 1 (RFC 3264 §6)");
}

TEST(JsepSessionTest, DeterministicOutput) {
  auto run = [] {
    JsepSession a(Config("42"));
    a.AddTransceiver(MediaKind::kVideo, Direction::kSendOnly, 77);
    a.EnableDataChannel();
    return *a.CreateOffer(TransportA());
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace rtcsim::jsep
