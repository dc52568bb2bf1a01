#include "stack/env/socket_address.h"

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

TEST(SocketAddress, ParsesAndPrintsV4AndV6) {
  auto a = SocketAddress::Parse("10.0.0.1:5000");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->ip().is_v4());
  EXPECT_EQ(a->port(), 5000);
  EXPECT_EQ(a->ToString(), "10.0.0.1:5000");
  auto b = SocketAddress::Parse("[2001:db8::1]:443");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->ip().is_v6());
  EXPECT_EQ(b->ToString(), "[2001:db8::1]:443");
}

TEST(SocketAddress, RejectsBadInputWithAClearMessage) {
  auto a = SocketAddress::Parse("10.0.0.1:70000");
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("bad port"), std::string::npos);
  EXPECT_FALSE(SocketAddress::Parse("10.0.0.1").ok());
  EXPECT_FALSE(SocketAddress::Parse("[::1:5").ok());
  EXPECT_FALSE(IpAddress::Parse("300.1.1.1").ok());
}

TEST(IpAddress, PrefixAndClassification) {
  IpAddress a = IpAddress::V4(192, 168, 1, 7);
  EXPECT_TRUE(a.InPrefix(IpAddress::V4(192, 168, 0, 0), 16));
  EXPECT_FALSE(a.InPrefix(IpAddress::V4(192, 169, 0, 0), 16));
  EXPECT_TRUE(a.InPrefix(IpAddress::V4(192, 168, 1, 0), 29));
  EXPECT_TRUE(a.InPrefix(IpAddress::AnyV4(), 0));
  EXPECT_FALSE(a.InPrefix(IpAddress::AnyV6(), 0));
  EXPECT_TRUE(IpAddress::AnyV4().IsUnspecified());
  EXPECT_TRUE(IpAddress::V4(127, 0, 0, 1).IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("::1")->IsLoopback());
  EXPECT_TRUE(IpAddress::V4(224, 0, 0, 1).IsMulticast());
  EXPECT_LT(IpAddress::V4(1, 2, 3, 4), IpAddress::V4(1, 2, 3, 5));
}

}  // namespace
}  // namespace rtcsim
