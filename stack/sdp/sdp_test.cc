#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/sdp/attributes.h"
#include "stack/sdp/session_description.h"

namespace rtcsim::sdp {
namespace {

using ::testing::HasSubstr;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in("stack/sdp/testdata/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const MediaDescription* FindMid(const SessionDescription& d, absl::string_view mid) {
  for (const MediaDescription& m : d.media) {
    if (FirstValue(m.attributes, "mid") == std::string(mid)) return &m;
  }
  return nullptr;
}

class SampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SampleTest, RoundTripsByteForByte) {
  const std::string text = ReadTestdata(GetParam());
  ASSERT_FALSE(text.empty()) << GetParam();
  auto parsed = Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(Serialize(*parsed), text);
}

TEST_P(SampleTest, LfOnlyInputParsesToTheSameModel) {
  const std::string text = ReadTestdata(GetParam());
  auto crlf = Parse(text);
  auto lf = Parse(absl::StrReplaceAll(text, {{"\r\n", "\n"}}));
  ASSERT_TRUE(crlf.ok() && lf.ok());
  EXPECT_EQ(*crlf, *lf);
  EXPECT_EQ(Serialize(*lf), text);
}

TEST_P(SampleTest, EveryTypedViewParsesAndRoundTrips) {
  auto d = Parse(ReadTestdata(GetParam()));
  ASSERT_TRUE(d.ok());
  auto check = [](const std::vector<Attribute>& attributes) {
    for (const Attribute& a : attributes) {
      const std::string v = a.value.value_or("");
      auto same = [&](auto parsed, bool exact) {
        ASSERT_TRUE(parsed.ok()) << parsed.status();
        using T = typename decltype(parsed)::value_type;
        auto again = T::Parse(parsed->ToValue());
        ASSERT_TRUE(again.ok()) << again.status();
        EXPECT_EQ(*again, *parsed) << a.name;
        if (exact) {
          EXPECT_EQ(parsed->ToValue(), v);
        }
      };
      if (a.name == "rtpmap") same(RtpMap::Parse(v), true);
      if (a.name == "fmtp") same(Fmtp::Parse(v), true);
      if (a.name == "rtcp-fb") same(RtcpFb::Parse(v), true);
      if (a.name == "extmap") same(ExtMap::Parse(v), true);
      if (a.name == "ssrc") same(Ssrc::Parse(v), true);
      if (a.name == "ssrc-group") same(SsrcGroup::Parse(v), true);
      if (a.name == "msid") same(Msid::Parse(v), true);
      if (a.name == "mid") same(Mid::Parse(v), true);
      if (a.name == "group") same(Group::Parse(v), true);
      if (a.name == "ice-ufrag") same(IceUfrag::Parse(v), true);
      if (a.name == "ice-pwd") same(IcePwd::Parse(v), true);
      if (a.name == "ice-options") same(IceOptions::Parse(v), true);
      // stack/ice normalises e.g. "UDP" to "udp", so only the model is kept.
      if (a.name == "candidate") same(CandidateAttribute::Parse(v), false);
      if (a.name == "fingerprint") same(FingerprintAttribute::Parse(v), true);
      if (a.name == "setup") same(SetupAttribute::Parse(v), true);
      if (a.name == "sctp-port") same(SctpPort::Parse(v), true);
      if (a.name == "max-message-size") same(MaxMessageSize::Parse(v), true);
    }
  };
  check(d->attributes);
  for (const auto& m : d->media) check(m.attributes);
}

INSTANTIATE_TEST_SUITE_P(Offers, SampleTest,
                         ::testing::Values("chromium_offer.sdp", "firefox_offer.sdp",
                                           "aiortc_offer.sdp", "chromium156_datachannel_offer.sdp",
                                           "chromium156_datachannel_answer.sdp",
                                           "chromium156_answer_to_legacy_offer.sdp"));

TEST(ChromiumOffer, TypedViews) {
  auto d = Parse(ReadTestdata("chromium_offer.sdp"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->origin.session_id, "4611731400430051336");
  auto bundle = BundleGroups(*d);
  ASSERT_TRUE(bundle.ok());
  ASSERT_EQ(bundle->size(), 1u);
  EXPECT_EQ((*bundle)[0], (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(d->media.size(), 3u);

  const MediaDescription& audio = d->media[0];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.port, 54321);
  EXPECT_EQ(audio.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.formats.front(), "111");
  auto rtpmaps = GetAll<RtpMap>(audio.attributes);
  ASSERT_TRUE(rtpmaps.ok());
  ASSERT_FALSE(rtpmaps->empty());
  EXPECT_EQ((*rtpmaps)[0], (RtpMap{111, "opus", 48000, "2"}));
  auto fmtp = GetFirst<Fmtp>(audio.attributes);
  ASSERT_TRUE(fmtp.ok() && fmtp->has_value());
  EXPECT_EQ((*fmtp)->format, "111");
  EXPECT_EQ((*fmtp)->Parameter("useinbandfec"), "1");
  EXPECT_EQ((*fmtp)->Parameter("minptime"), "10");
  EXPECT_TRUE(HasAttribute(audio.attributes, kRtcpMux));
  EXPECT_EQ(GetDirection(audio.attributes), Direction::kSendRecv);

  auto fingerprint = GetFirst<FingerprintAttribute>(audio.attributes);
  ASSERT_TRUE(fingerprint.ok() && fingerprint->has_value());
  EXPECT_EQ((*fingerprint)->fingerprint.algorithm, "sha-256");
  EXPECT_EQ((*fingerprint)->fingerprint.digest.size(), 32u);
  EXPECT_EQ((*fingerprint)->fingerprint.digest[0], 0x7B);
  auto setup = GetFirst<SetupAttribute>(audio.attributes);
  ASSERT_TRUE(setup.ok());
  EXPECT_EQ((*setup)->role, SetupRole::kActpass);

  auto candidates = GetAll<CandidateAttribute>(audio.attributes);
  ASSERT_TRUE(candidates.ok()) << candidates.status();
  ASSERT_EQ(candidates->size(), 3u);
  EXPECT_EQ((*candidates)[0].candidate.type, ice::CandidateType::kHost);
  EXPECT_EQ((*candidates)[0].candidate.priority, 2122260223u);
  EXPECT_EQ((*candidates)[1].candidate.type, ice::CandidateType::kServerReflexive);
  EXPECT_EQ((*candidates)[2].candidate.transport, "tcp");

  auto ufrag = GetFirst<IceUfrag>(audio.attributes);
  ASSERT_TRUE(ufrag.ok());
  EXPECT_EQ((*ufrag)->ufrag, "Vb3Q");
  auto options = GetFirst<IceOptions>(audio.attributes);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ((*options)->options, std::vector<std::string>{"trickle"});
  auto extmaps = GetAll<ExtMap>(audio.attributes);
  ASSERT_TRUE(extmaps.ok());
  EXPECT_EQ(extmaps->back().id, 4);
  EXPECT_EQ(extmaps->back().uri, "urn:ietf:params:rtp-hdrext:sdes:mid");

  const MediaDescription* video = FindMid(*d, "1");
  ASSERT_NE(video, nullptr);
  auto groups = GetAll<SsrcGroup>(video->attributes);
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].semantics, "FID");
  EXPECT_EQ((*groups)[0].ssrcs, (std::vector<uint32_t>{2882400001u, 2882400002u}));
  auto ssrcs = GetAll<Ssrc>(video->attributes);
  ASSERT_TRUE(ssrcs.ok());
  EXPECT_EQ((*ssrcs)[1].attribute, "msid");
  EXPECT_EQ((*ssrcs)[1].value,
            "6f6bd4a2-3c1e-4c8e-9f3b-4f4b5c0a2d11 9e2a7c41-5d3b-4f8e-a1c6-7b0d2e9f4c58");
  auto msid = GetFirst<Msid>(video->attributes);
  ASSERT_TRUE(msid.ok());
  EXPECT_EQ((*msid)->id, "6f6bd4a2-3c1e-4c8e-9f3b-4f4b5c0a2d11");
  EXPECT_EQ((*msid)->appdata, "9e2a7c41-5d3b-4f8e-a1c6-7b0d2e9f4c58");
  EXPECT_TRUE(HasAttribute(video->attributes, kRtcpRsize));
  auto fb = GetAll<RtcpFb>(video->attributes);
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ((*fb)[4], (RtcpFb{"96", "nack", "pli"}));
  EXPECT_EQ((*fb)[3], (RtcpFb{"96", "nack", std::nullopt}));

  const MediaDescription* data = FindMid(*d, "2");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->formats, std::vector<std::string>{"webrtc-datachannel"});
  auto port = GetFirst<SctpPort>(data->attributes);
  ASSERT_TRUE(port.ok());
  EXPECT_EQ((*port)->port, 5000);
  auto mms = GetFirst<MaxMessageSize>(data->attributes);
  ASSERT_TRUE(mms.ok());
  EXPECT_EQ((*mms)->bytes, 262144u);
}

TEST(FirefoxOffer, SessionLevelValuesAndRecvonlyExtmap) {
  auto d = Parse(ReadTestdata("firefox_offer.sdp"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
  EXPECT_TRUE(GetFirst<FingerprintAttribute>(d->attributes)->has_value());
  auto extmaps = GetAll<ExtMap>(d->media[0].attributes);
  ASSERT_TRUE(extmaps.ok());
  EXPECT_EQ((*extmaps)[1].direction, "recvonly");
  EXPECT_TRUE(HasAttribute(d->media[0].attributes, kEndOfCandidates));
  auto fmtp = GetAll<Fmtp>(d->media[0].attributes);
  ASSERT_TRUE(fmtp.ok());
  EXPECT_EQ((*fmtp)[1].Parameters(),
            (std::vector<std::pair<std::string, std::string>>{{"0-15", ""}}));
  auto candidates = GetAll<CandidateAttribute>(d->media[0].attributes);
  ASSERT_TRUE(candidates.ok()) << candidates.status();
  EXPECT_EQ(candidates->size(), 3u);
}

TEST(AiortcOffer, Basics) {
  auto d = Parse(ReadTestdata("aiortc_offer.sdp"));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->media.size(), 2u);
  EXPECT_EQ(d->media[1].proto, "DTLS/SCTP");
  auto bundle = BundleGroups(*d);
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ((*bundle)[0], (std::vector<std::string>{"0", "1"}));
  // a=sctpmap (draft-era) is not typed here: it must survive as is.
  EXPECT_EQ(FirstValue(d->media[1].attributes, "sctpmap"), "5000 webrtc-datachannel 65535");
}

TEST(Parse, UnknownAttributesSurviveInOrder) {
  const std::string text =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=x-custom:some value: with colons\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=zzz\r\na=empty:\r\na=mid:a\r\na=x-custom\r\n";
  auto d = Parse(text);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->attributes[0], (Attribute{"x-custom", "some value: with colons"}));
  EXPECT_EQ(d->media[0].attributes[0], (Attribute{"zzz", std::nullopt}));
  EXPECT_EQ(d->media[0].attributes[1], (Attribute{"empty", ""}));
  EXPECT_EQ(Serialize(*d), text);
}

TEST(Parse, AllLineTypesRoundTrip) {
  const std::string text =
      "v=0\r\no=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\ns=Call to John Smith\r\n"
      "i=A Seminar\r\nu=http://www.example.com/seminars/sdp.pdf\r\n"
      "e=j.doe@example.com (Jane Doe)\r\np=+1 617 555-6011\r\nc=IN IP4 233.252.0.1/127\r\n"
      "b=CT:128\r\nt=2873397496 2873404696\r\nr=7d 1h 0 25h\r\nt=0 0\r\n"
      "z=2882844526 -1h 2898848070 0\r\nk=prompt\r\na=recvonly\r\n"
      "m=audio 49170/2 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 233.252.0.1/127\r\n"
      "c=IN IP4 233.252.0.2/127\r\nb=AS:64\r\nb=TIAS:64000\r\nk=clear:secret\r\n"
      "a=rtpmap:0 PCMU/8000\r\nm=video 0 RTP/AVP 31\r\n";
  auto d = Parse(text);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->timings.size(), 2u);
  EXPECT_EQ(d->timings[0].repeats, std::vector<std::string>{"7d 1h 0 25h"});
  EXPECT_EQ(d->timings[1].zone, "2882844526 -1h 2898848070 0");
  EXPECT_EQ(d->media[0].port_count, 2u);
  EXPECT_EQ(d->media[0].connections.size(), 2u);
  EXPECT_EQ(d->media[1].port, 0);
  EXPECT_EQ(GetDirection(d->media[0].attributes, GetDirection(d->attributes)),
            Direction::kRecvOnly);
  EXPECT_EQ(Serialize(*d), text);
}

TEST(Parse, InputWithoutFinalLineEnd) {
  auto d = Parse("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(Serialize(*d), "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
}

struct BadCase {
  std::string text;
  std::string error;
};

TEST(Parse, MalformedInputNamesLineTypeAndProblem) {
  const std::string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  const BadCase cases[] = {
      {"", "line 1 (?=): empty session description"},
      {"v=1\r\n", "line 1 (v=): version '1' is not 0"},
      {"o=- 1 1 IN IP4 0.0.0.0\r\n", "line 1 (o=): expected v= line here"},
      {"v=0\r\ns=-\r\n", "line 2 (s=): expected o= line here"},
      {"v=0\r\no=- 1 1 IN IP4\r\n", "line 2 (o=): expected 6 fields"},
      {"v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n", "line 2 (o=): sess-id 'x' is not a number"},
      {"v=0\r\no=-  1 1 IN IP4 0.0.0.0\r\n", "line 2 (o=): empty field in origin"},
      {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "line 4 (t=): missing t= line"},
      {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n", "line 4 (t=): expected <start-time>"},
      {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\na=x\r\n", "line 4 (a=): a= before the t= line"},
      {head + "c=IN IP4 1.2.3.4\r\n", "line 5 (c=): line out of order"},
      {head + "x=1\r\n", "line 5 (x=): unknown line type"},
      {head + "garbage\r\n", "line 5 (g=): expected <type>=<value>"},
      {head + "\r\n", "line 5 (?=): empty line"},
      {head + "a=\r\n", "line 5 (a=): empty attribute name"},
      {head + "m=audio 9 RTP/AVP\r\n", "line 5 (m=): expected <media> <port> <proto> <fmt>"},
      {head + "m=audio 70000 RTP/AVP 0\r\n", "line 5 (m=): port '70000' is too large"},
      {head + "m=audio x RTP/AVP 0\r\n", "line 5 (m=): port 'x' is not a number"},
      {head + "m=audio 9/ RTP/AVP 0\r\n", "line 5 (m=): empty port count"},
      {head + "m=audio 9 RTP/AVP 0\r\na=mid:0\r\nc=IN IP4 1.2.3.4\r\n",
       "line 7 (c=): line out of order"},
      {head + "m=audio 9 RTP/AVP 0\r\nc=IN IP4\r\n", "line 6 (c=): expected 3 fields"},
      {head + "m=audio 9 RTP/AVP 0\r\nb=AS\r\n", "line 6 (b=): expected <bwtype>:<bandwidth>"},
      {head + "m=audio 9 RTP/AVP 0\r\nb=AS:x\r\n", "line 6 (b=): bandwidth 'x' is not a number"},
      {head + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n",
       "line 6 (t=): session-level line inside a media description"},
      {head + "m=audio 9 RTP/AVP 0\r\ni=a\r\ni=b\r\n", "line 7 (i=): line may appear only once"},
      {head + "a=x\rb\r\n", "line 5 (a=): value contains a CR not followed by LF"},
  };
  for (const BadCase& c : cases) {
    auto d = Parse(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(c.error)) << c.text;
  }
}

TEST(Parse, TruncatedSamplesFailWithALineNumberOrParse) {
  // Cutting a sample anywhere either still parses (a cut at a line boundary
  // or inside a free-text value) or fails naming a line.
  const std::string text = ReadTestdata("chromium_offer.sdp");
  for (size_t cut = 0; cut < text.size(); cut += 7) {
    auto d = Parse(text.substr(0, cut));
    if (!d.ok()) {
      EXPECT_THAT(std::string(d.status().message()), HasSubstr("line ")) << cut;
    }
  }
}

TEST(TypedViews, BadValuesAreRejectedWithTheAttributeName) {
  EXPECT_THAT(std::string(RtpMap::Parse("128 opus/48000").status().message()),
              HasSubstr("a=rtpmap: payload type '128'"));
  EXPECT_FALSE(RtpMap::Parse("111 opus").ok());
  EXPECT_FALSE(RtpMap::Parse("111 opus/x").ok());
  EXPECT_FALSE(Fmtp::Parse("111").ok());
  EXPECT_FALSE(RtcpFb::Parse("96").ok());
  EXPECT_FALSE(ExtMap::Parse("0 urn:x").ok());
  EXPECT_FALSE(ExtMap::Parse("256 urn:x").ok());
  EXPECT_FALSE(ExtMap::Parse("1").ok());
  EXPECT_FALSE(Ssrc::Parse("4294967296 cname:x").ok());
  EXPECT_FALSE(Ssrc::Parse("1").ok());
  EXPECT_FALSE(SsrcGroup::Parse("FID 1 x").ok());
  EXPECT_FALSE(Msid::Parse("").ok());
  EXPECT_FALSE(Mid::Parse("a b").ok());
  EXPECT_FALSE(Group::Parse("").ok());
  EXPECT_FALSE(IceUfrag::Parse("abc").ok());
  EXPECT_FALSE(IcePwd::Parse("short").ok());
  EXPECT_FALSE(IceUfrag::Parse("ab:cd").ok());
  EXPECT_FALSE(IceOptions::Parse("").ok());
  EXPECT_THAT(std::string(CandidateAttribute::Parse("1 1 udp").status().message()),
              HasSubstr("a=candidate: "));
  EXPECT_THAT(std::string(FingerprintAttribute::Parse("sha-256 ZZ").status().message()),
              HasSubstr("a=fingerprint: "));
  EXPECT_FALSE(SetupAttribute::Parse("both").ok());
  EXPECT_FALSE(SctpPort::Parse("65536").ok());
  EXPECT_FALSE(MaxMessageSize::Parse("-1").ok());
}

TEST(TypedViews, BuildAndSerialise) {
  SessionDescription d;
  d.attributes.push_back(ToAttribute(Group{"BUNDLE", {"0"}}));
  MediaDescription m;
  m.media = "application";
  m.proto = "UDP/DTLS/SCTP";
  m.formats = {"webrtc-datachannel"};
  m.connections.push_back(Connection{});
  m.attributes.push_back(ToAttribute(Mid{"0"}));
  m.attributes.push_back(ToAttribute(SetupAttribute{SetupRole::kPassive}));
  m.attributes.push_back(ToAttribute(SctpPort{5000}));
  m.attributes.push_back(ToAttribute(MaxMessageSize{262144}));
  d.media.push_back(m);
  EXPECT_EQ(Serialize(d),
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
            "a=mid:0\r\na=setup:passive\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n");
  auto back = Parse(Serialize(d));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, d);
}

TEST(Direction, SetReplacesInPlaceAndDropsDuplicates) {
  std::vector<Attribute> attributes = {{"mid", "0"},
                                       {"sendrecv", std::nullopt},
                                       {"rtcp-mux", std::nullopt},
                                       {"inactive", std::nullopt}};
  EXPECT_EQ(GetDirection(attributes), Direction::kSendRecv);
  SetDirection(attributes, Direction::kRecvOnly);
  ASSERT_EQ(attributes.size(), 3u);
  EXPECT_EQ(attributes[1].name, "recvonly");
  EXPECT_EQ(GetDirection(attributes), Direction::kRecvOnly);
  std::vector<Attribute> none;
  EXPECT_EQ(GetDirection(none, Direction::kInactive), Direction::kInactive);
  SetDirection(none, Direction::kSendOnly);
  EXPECT_EQ(none, (std::vector<Attribute>{{"sendonly", std::nullopt}}));
}

}  // namespace
}  // namespace rtcsim::sdp
