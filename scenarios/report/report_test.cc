#include "scenarios/report/report.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace rtcsim::scenarios {
namespace {

size_t Count(absl::string_view haystack, absl::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != absl::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The element that starts with `open` (e.g. "<svg id=\"plot-rtt\""), up to
// and including the first `close` after it; empty when absent.
absl::string_view Element(absl::string_view html, absl::string_view open, absl::string_view close) {
  const size_t start = html.find(open);
  if (start == absl::string_view::npos) return {};
  const size_t end = html.find(close, start);
  if (end == absl::string_view::npos) return {};
  return html.substr(start, end + close.size() - start);
}

// The value of attribute `name` in the first tag of `element`.
std::string Attribute(absl::string_view element, absl::string_view name) {
  const std::string key = absl::StrCat(" ", name, "=\"");
  const size_t tag_end = element.find('>');
  const size_t pos = element.find(key);
  if (pos == absl::string_view::npos || pos > tag_end) return "";
  const size_t start = pos + key.size();
  return std::string(element.substr(start, element.find('"', start) - start));
}

ReportSeries Series(std::string name, size_t n, double value) {
  ReportSeries s{std::move(name), {}};
  for (size_t i = 0; i < n; ++i) s.points.push_back({i * 0.5, value + i});
  return s;
}

ReportData Basic() {
  ReportData d;
  d.scenario_name = "basic";
  d.description = "two peers";
  d.seed = 7;
  d.trace_hash = "abc123";
  d.passed = true;
  d.duration_s = 20;
  d.summary_lines = {"connected after 800 ms"};
  d.expectations = {{"pa0: connected within 2000 ms", true, "800 ms"}};
  d.events = {{10, "link nat-a-internet down"}};
  d.states = {{"pa0", {{0, "new"}, {0.2, "connecting"}, {0.8, "connected"}}}};
  d.throughput_kbps = {Series("pa0", 41, 500)};
  d.rtt_ms = {Series("pa0", 21, 60)};
  d.loss_percent = {Series("link ↑", 21, 0.5)};
  d.files = {"trace.json"};
  return d;
}

TEST(ReportTest, EscapesAllText) {
  ReportData d = Basic();
  d.scenario_name = "<script>alert('x')</script>";
  d.description = "a & b \"quoted\"";
  d.throughput_kbps[0].name = "<b>peer</b>";
  d.events[0].text = "<evil>";
  d.files = {"<a>.json"};
  const std::string html = RenderReportHtml(d);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<evil>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("a &amp; b &quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(html.find("data-name=\"&lt;b&gt;peer&lt;/b&gt;\""), std::string::npos);
  EXPECT_NE(html.find("&lt;evil&gt;"), std::string::npos);
  EXPECT_NE(html.find("href=\"%3Ca%3E.json\""), std::string::npos);
  EXPECT_NE(html.find(">&lt;a&gt;.json</a>"), std::string::npos);
}

TEST(ReportTest, SelfContained) {
  const std::string html = RenderReportHtml(Basic());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
}

TEST(ReportTest, HeaderAndExpectations) {
  ReportData d = Basic();
  d.seed = 18446744073709551615ull;
  d.expectations.push_back({"pb0: reconnects", false, "stayed failed"});
  d.passed = false;
  const std::string html = RenderReportHtml(d);
  EXPECT_NE(html.find("18446744073709551615"), std::string::npos);
  EXPECT_NE(html.find("abc123"), std::string::npos);
  EXPECT_NE(html.find("<dd>20 s</dd>"), std::string::npos);
  EXPECT_NE(html.find("badge fail\">FAIL"), std::string::npos);
  EXPECT_EQ(html.find("badge pass"), std::string::npos);
  EXPECT_EQ(Count(html, "<tr class=\"pass\">"), 1u);
  EXPECT_EQ(Count(html, "<tr class=\"fail\">"), 1u);
  EXPECT_NE(html.find("stayed failed"), std::string::npos);
  EXPECT_NE(html.find("<pre class=\"summary\">connected after 800 ms\n</pre>"), std::string::npos);
  EXPECT_NE(RenderReportHtml(Basic()).find("badge pass\">PASS"), std::string::npos);
}

TEST(ReportTest, AllFourPlotIds) {
  for (const ReportData& d : {Basic(), ReportData{}}) {
    const std::string html = RenderReportHtml(d);
    for (const char* id : {"plot-timeline", "plot-throughput", "plot-rtt", "plot-loss"}) {
      EXPECT_EQ(Count(html, absl::StrCat("<svg id=\"", id, "\"")), 1u) << id;
    }
  }
}

TEST(ReportTest, PolylineHasOnePointPerSample) {
  const std::string html = RenderReportHtml(Basic());
  const absl::string_view svg = Element(html, "<svg id=\"plot-throughput\"", "</svg>");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(Count(svg, "<polyline class=\"series\""), 1u);
  const absl::string_view polyline = Element(svg, "<polyline", ">");
  EXPECT_EQ(Attribute(polyline, "data-name"), "pa0");
  const std::vector<std::string> points =
      absl::StrSplit(Attribute(polyline, "points"), ' ', absl::SkipEmpty());
  ASSERT_EQ(points.size(), 41u);
  // x grows with time, y shrinks as the value grows (SVG y points down).
  std::vector<double> xs, ys;
  for (const std::string& p : points) {
    const std::vector<std::string> xy = absl::StrSplit(p, ',');
    ASSERT_EQ(xy.size(), 2u) << p;
    double x, y;
    ASSERT_TRUE(absl::SimpleAtod(xy[0], &x) && absl::SimpleAtod(xy[1], &y)) << p;
    xs.push_back(x);
    ys.push_back(y);
  }
  for (size_t i = 1; i < xs.size(); ++i) {
    EXPECT_GT(xs[i], xs[i - 1]);
    EXPECT_LT(ys[i], ys[i - 1]);
  }
}

TEST(ReportTest, SeriesGetDistinctColoursAndEmptySeriesAreListedNotDrawn) {
  ReportData d = Basic();
  d.rtt_ms = {Series("pa0", 5, 60), Series("pb0", 5, 70), Series("pc0", 0, 0)};
  const std::string html = RenderReportHtml(d);
  const absl::string_view svg = Element(html, "<svg id=\"plot-rtt\"", "</svg>");
  EXPECT_EQ(Count(svg, "<polyline class=\"series\""), 2u);
  EXPECT_EQ(svg.find("data-name=\"pc0\""), absl::string_view::npos);
  EXPECT_NE(svg.find("pc0 (no data)"), absl::string_view::npos);
  const std::string a =
      Attribute(Element(svg, "<polyline class=\"series\" data-name=\"pa0\"", ">"), "stroke");
  const std::string b =
      Attribute(Element(svg, "<polyline class=\"series\" data-name=\"pb0\"", ">"), "stroke");
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);
}

TEST(ReportTest, StateSpansProduceRects) {
  ReportData d = Basic();
  d.states.push_back({"pb0",
                      {{0, "new"},
                       {0.3, "connecting"},
                       {0.8, "connected"},
                       {10, "disconnected"},
                       {15, "failed"},
                       {16, "closed"}}});
  const std::string html = RenderReportHtml(d);
  const absl::string_view svg = Element(html, "<svg id=\"plot-timeline\"", "</svg>");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(Count(svg, "<rect class=\"state\""), 3u + 6u);
  EXPECT_EQ(Count(svg, "data-state=\"connected\""), 2u);
  EXPECT_EQ(Count(svg, "data-state=\"failed\""), 1u);
  const absl::string_view failed = Element(svg, "<rect class=\"state\" data-state=\"failed\"", ">");
  EXPECT_EQ(Attribute(failed, "fill"), "#d62728");
  EXPECT_EQ(Attribute(Element(svg, "<rect class=\"state\" data-state=\"connected\"", ">"), "fill"),
            "#3aa655");
  // The last state runs to the end of the run, the others to the next change.
  double x_failed, w_failed, x_closed, w_closed;
  const absl::string_view closed = Element(svg, "<rect class=\"state\" data-state=\"closed\"", ">");
  ASSERT_TRUE(absl::SimpleAtod(Attribute(failed, "x"), &x_failed));
  ASSERT_TRUE(absl::SimpleAtod(Attribute(failed, "width"), &w_failed));
  ASSERT_TRUE(absl::SimpleAtod(Attribute(closed, "x"), &x_closed));
  ASSERT_TRUE(absl::SimpleAtod(Attribute(closed, "width"), &w_closed));
  EXPECT_NEAR(x_failed + w_failed, x_closed, 0.11);
  EXPECT_NEAR(w_closed, 4 * w_failed, 0.5);  // 16..20 s vs 15..16 s
  // Two lanes of 22 px: labelled, and the legend names every state.
  EXPECT_EQ(Count(svg, "class=\"lane-label\""), 2u);
  for (const char* state : {"new", "connecting", "connected", "disconnected", "failed", "closed"}) {
    EXPECT_NE(svg.find(absl::StrCat(">", state, "</text>")), absl::string_view::npos) << state;
  }
}

TEST(ReportTest, EmptyDataRendersNoData) {
  const std::string html = RenderReportHtml(ReportData{});
  for (const char* id : {"plot-timeline", "plot-throughput", "plot-rtt", "plot-loss"}) {
    const absl::string_view svg = Element(html, absl::StrCat("<svg id=\"", id, "\""), "</svg>");
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_NE(svg.find(">no data</text>"), absl::string_view::npos) << id;
    EXPECT_EQ(svg.find("<polyline"), absl::string_view::npos) << id;
  }
  // A plot whose only series is empty draws axes but no line.
  ReportData d = Basic();
  d.loss_percent = {ReportSeries{"link ↓", {}}};
  const std::string html2 = RenderReportHtml(d);
  const absl::string_view loss = Element(html2, "<svg id=\"plot-loss\"", "</svg>");
  EXPECT_EQ(loss.find("<polyline"), absl::string_view::npos);
  EXPECT_NE(loss.find("link ↓ (no data)"), absl::string_view::npos);
}

TEST(ReportTest, Deterministic) {
  ReportData d = Basic();
  d.rtt_ms.push_back(Series("pb0", 300, 61.123456789));
  const std::string a = RenderReportHtml(d);
  const std::string b = RenderReportHtml(d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, RenderReportHtml(ReportData(d)));
}

TEST(ReportTest, HundredTracksShrinkLanesAndDropLabels) {
  ReportData d = Basic();
  d.states.clear();
  for (int i = 0; i < 100; ++i) {
    d.states.push_back({absl::StrCat("pa", i), {{0, "new"}, {0.1 * i, "connected"}}});
  }
  const std::string html = RenderReportHtml(d);
  const absl::string_view svg = Element(html, "<svg id=\"plot-timeline\"", "</svg>");
  double lane_height = 0;
  ASSERT_TRUE(absl::SimpleAtod(Attribute(svg, "data-lane-height"), &lane_height));
  EXPECT_GE(lane_height, 4);
  EXPECT_LT(lane_height, 10);
  EXPECT_EQ(Attribute(svg, "data-lanes"), "100");
  EXPECT_EQ(Count(svg, "<rect class=\"state\""), 200u);
  EXPECT_EQ(Count(svg, "class=\"lane-label\""), 0u);
  // Every bar is visible (>= 1 px tall) and lanes do not overlap.
  double height = 0;
  ASSERT_TRUE(
      absl::SimpleAtod(Attribute(Element(svg, "<rect class=\"state\"", ">"), "height"), &height));
  EXPECT_GE(height, 1);
  EXPECT_LE(height, lane_height);
  double svg_height = 0;
  ASSERT_TRUE(absl::SimpleAtod(Attribute(svg, "height"), &svg_height));
  EXPECT_GE(svg_height, 100 * lane_height);
}

TEST(ReportTest, ManySeriesCollapseTheLegend) {
  ReportData d = Basic();
  d.rtt_ms.clear();
  for (int i = 0; i < 30; ++i) d.rtt_ms.push_back(Series(absl::StrCat("pc", i), 4, 50 + i));
  const std::string html = RenderReportHtml(d);
  const absl::string_view svg = Element(html, "<svg id=\"plot-rtt\"", "</svg>");
  EXPECT_EQ(Count(svg, "<polyline class=\"series\""), 30u);
  EXPECT_EQ(Count(svg, "class=\"legend-item"), 0u);
  EXPECT_NE(svg.find("30 series"), absl::string_view::npos);
  EXPECT_EQ(Attribute(Element(svg, "<polyline", ">"), "stroke-width"), "1");
  // Twelve still get a full legend with thicker lines.
  d.rtt_ms.resize(12);
  const std::string html12 = RenderReportHtml(d);
  const absl::string_view svg12 = Element(html12, "<svg id=\"plot-rtt\"", "</svg>");
  EXPECT_EQ(Count(svg12, "class=\"legend-item\""), 12u);
  EXPECT_EQ(Attribute(Element(svg12, "<polyline", ">"), "stroke-width"), "1.8");
}

TEST(ReportTest, EventsRenderMarkersOnEveryPlot) {
  ReportData d = Basic();
  d.events = {{5, "link nat-a-internet down"}, {12.5, "ICE restart"}, {99, "after the end"}};
  const std::string html = RenderReportHtml(d);
  for (const char* id : {"plot-timeline", "plot-throughput", "plot-rtt", "plot-loss"}) {
    const absl::string_view svg = Element(html, absl::StrCat("<svg id=\"", id, "\""), "</svg>");
    EXPECT_EQ(Count(svg, "class=\"event-marker\""), 2u) << id;
    EXPECT_NE(svg.find("<title>5 s: link nat-a-internet down</title>"), absl::string_view::npos);
    EXPECT_NE(svg.find("<title>12.5 s: ICE restart</title>"), absl::string_view::npos);
    EXPECT_NE(svg.find("stroke-dasharray"), absl::string_view::npos);
  }
  // Short labels on the line plots; a one-lane timeline is too short for them.
  for (const char* id : {"plot-throughput", "plot-rtt", "plot-loss"}) {
    const absl::string_view svg = Element(html, absl::StrCat("<svg id=\"", id, "\""), "</svg>");
    EXPECT_EQ(Count(svg, "class=\"event-label\""), 2u) << id;
    EXPECT_NE(svg.find(">link nat-a-internet down</text>"), absl::string_view::npos) << id;
  }
  EXPECT_EQ(Count(Element(html, "<svg id=\"plot-timeline\"", "</svg>"), "class=\"event-label\""),
            0u);
}

TEST(ReportTest, AxesHaveRoundTicks) {
  ReportData d = Basic();
  d.duration_s = 60;
  d.throughput_kbps = {ReportSeries{"pa0", {{0, 0}, {30, 487.3}, {60, 512.9}}}};
  const std::string html = RenderReportHtml(d);
  const absl::string_view svg = Element(html, "<svg id=\"plot-throughput\"", "</svg>");
  for (const char* tick : {">0</text>", ">30</text>", ">60</text>", ">100</text>", ">600</text>"}) {
    EXPECT_NE(svg.find(tick), absl::string_view::npos) << tick;
  }
  EXPECT_NE(svg.find(">time (s)</text>"), absl::string_view::npos);
  EXPECT_NE(svg.find(">kbit/s</text>"), absl::string_view::npos);
  EXPECT_EQ(svg.find("e+"), absl::string_view::npos);
}

TEST(ReportTest, FilesAreRelativeLinks) {
  ReportData d = Basic();
  d.files = {"a0.pcapng", "dir/stats a0.json"};
  const std::string html = RenderReportHtml(d);
  EXPECT_NE(html.find("<a href=\"a0.pcapng\">a0.pcapng</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"dir/stats%20a0.json\">dir/stats a0.json</a>"), std::string::npos);
}

}  // namespace
}  // namespace rtcsim::scenarios
