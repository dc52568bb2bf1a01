#include "scenarios/runner/capture_file.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::scenarios {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

scenario::ReplayCapture Sample() {
  scenario::ReplayCapture c;
  c.mutable_scenario()->set_name("sample");
  c.mutable_scenario()->set_duration_s(12.5);
  c.mutable_scenario()->add_peer()->set_name("alice");
  c.set_seed(1234567890123ULL);
  c.set_duration_s(10);
  c.set_binary_version("0123456789abcdef");
  c.set_trace_hash("a8c75a48cad65a94");
  c.add_failures("expect[2] (line 35) b: messages on \"x\": observed 1 of 20");
  c.add_failures("second\nline");
  c.set_source_file("scenarios/x.textproto");
  return c;
}

TEST(CaptureFileTest, WriteThenReadRoundTrips) {
  const std::string path = TempDir() + "/sub/dir/seed-7.capture.textproto";
  const scenario::ReplayCapture c = Sample();
  ASSERT_TRUE(WriteTextFile(path, CaptureToText(c, "a header\n\nover lines")).ok());
  auto back = ReadCaptureFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(CaptureToText(*back).substr(0, 10), "scenario {");
  EXPECT_EQ(CaptureToText(c, "h1\nh2").substr(0, 10), "# h1\n# h2\n");
}

TEST(CaptureFileTest, CorruptCaptureNamesFileLineAndColumn) {
  const std::string text =
      "scenario {\n"
      "  name: \"x\"\n"
      "  bogus_field: 3\n"
      "}\n";
  auto c = ParseCaptureText(text, "bad.capture.textproto");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()),
              MatchesRegex("bad\\.capture\\.textproto:3:14: .*no field named \"bogus_field\".*"));

  auto truncated = ParseCaptureText("scenario { name: \"x\"\n", "t.textproto");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(std::string(truncated.status().message()), HasSubstr("t.textproto:2:1: "));

  // A valid text-format message, but not a capture: no scenario in it.
  auto empty = ParseCaptureText("seed: 3\n", "e.textproto");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()),
              HasSubstr("e.textproto: not a replay capture"));
}

TEST(CaptureFileTest, MissingFile) {
  auto c = ReadCaptureFile(TempDir() + "/no/such.capture.textproto");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("such.capture.textproto: cannot read"));
}

TEST(CaptureFileTest, BinaryVersionIsSixteenHexDigitsAndStable) {
  EXPECT_THAT(BinaryVersion(), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(&BinaryVersion(), &BinaryVersion());
}

TEST(CaptureFileTest, CommentLines) {
  EXPECT_EQ(CommentLines(""), "");
  EXPECT_EQ(CommentLines("a\n\nb"), "# a\n#\n# b\n");
}

}  // namespace
}  // namespace rtcsim::scenarios
