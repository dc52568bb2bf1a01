#include "stack/pc/rtc_stats.h"

#include "gtest/gtest.h"

namespace rtcsim::pc {
namespace {

TEST(RtcStatsTest, GetAndSetMembers) {
  RtcStats s{"T01", "transport", 1.5, {}};
  s.Set("bytesSent", uint64_t{10});
  s.Set("dtlsState", std::string("connected"));
  s.Set("bytesSent", uint64_t{12});  // replaces, keeps position
  EXPECT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.GetUint("bytesSent"), 12u);
  EXPECT_EQ(s.GetString("dtlsState"), "connected");
  EXPECT_EQ(s.GetString("missing"), "");
  EXPECT_EQ(s.GetUint("dtlsState"), 0u);  // wrong type reads as the default
}

TEST(RtcStatsTest, ReportLookupAndJson) {
  RtcStatsReport report;
  report.stats.push_back({"P", "peer-connection", 2, {{"dataChannelsOpened", uint64_t{1}}}});
  report.stats.push_back({"D1",
                          "data-channel",
                          2,
                          {{"label", std::string("a\"b\n\x01")},
                           {"ordered", true},
                           {"rtt", 0.25},
                           {"id", int64_t{-1}}}});
  ASSERT_NE(report.Get("D1"), nullptr);
  EXPECT_EQ(report.Get("nope"), nullptr);
  EXPECT_EQ(report.OfType("data-channel").size(), 1u);
  EXPECT_EQ(report.ToJson(),
            "{\"P\":{\"id\":\"P\",\"type\":\"peer-connection\",\"timestamp\":2.000,"
            "\"dataChannelsOpened\":1},"
            "\"D1\":{\"id\":\"D1\",\"type\":\"data-channel\",\"timestamp\":2.000,"
            "\"label\":\"a\\\"b\\n\\u0001\",\"ordered\":true,\"rtt\":0.25,\"id\":-1}}");
}

}  // namespace
}  // namespace rtcsim::pc
