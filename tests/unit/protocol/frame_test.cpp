// SPDX-License-Identifier: Apache-2.0
#include "protocol/frame.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"

namespace pb {
namespace {

using nlohmann::json;

std::string nested(int depth) {
  std::string s = R"({"type":"x","a":)";
  // The object itself is depth 1; each array adds one.
  for (int i = 1; i < depth; ++i) s += "[";
  s += "1";
  for (int i = 1; i < depth; ++i) s += "]";
  s += "}";
  return s;
}

TEST(Frame, EncodeWritesBigEndianLengthAndJson) {
  std::string f = encodeFrame(json{{"type", "ping"}});
  ASSERT_EQ(f.size(), 4U + 15U);
  EXPECT_EQ(f.substr(0, 4), std::string("\0\0\0\x0f", 4));
  EXPECT_EQ(f.substr(4), R"({"type":"ping"})");
}

TEST(Frame, RoundTripThroughDecoder) {
  json msg{{"type", "hello"}, {"n", 42}, {"s", "h\u00e9llo \"quoted\" [not a bracket"}};
  FrameDecoder d(1024);
  ASSERT_TRUE(d.feed(encodeFrame(msg)).ok());
  auto r = d.next();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, msg);
  auto again = d.next();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(d.buffered(), 0U);
}

TEST(Frame, EncodeReplacesInvalidUtf8InsteadOfThrowing) {
  std::string f = encodeFrame(json{{"type", "x"}, {"serial", std::string("\xff\xfe", 2)}});
  auto p = parseFramePayload(std::string_view(f).substr(4));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["serial"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Frame, DecoderHandlesByteAtATimeAndSeveralFramesPerFeed) {
  std::string stream = encodeFrame(json{{"type", "a"}}) + encodeFrame(json{{"type", "b"}});
  FrameDecoder d(64);
  std::vector<std::string> types;
  for (char c : stream) {
    ASSERT_TRUE(d.feed(std::string_view(&c, 1)).ok());
    for (;;) {
      auto r = d.next();
      ASSERT_TRUE(r.ok());
      if (!r->has_value()) break;
      types.push_back((**r)["type"]);
    }
  }
  EXPECT_EQ(types, (std::vector<std::string>{"a", "b"}));

  FrameDecoder both(64);
  ASSERT_TRUE(both.feed(stream).ok());
  EXPECT_EQ((*both.next().value())["type"], "a");
  EXPECT_EQ((*both.next().value())["type"], "b");
  EXPECT_FALSE(both.next()->has_value());
}

TEST(Frame, LengthZeroIsMalformed) {
  const std::uint8_t hdr[4] = {0, 0, 0, 0};
  auto r = parseFrameLength(hdr, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kMalformedFrame);
}

TEST(Frame, LengthOverMaxIsTooLargeAndMaxIsAccepted) {
  const std::uint8_t at[4] = {0, 0, 0, 100};
  const std::uint8_t over[4] = {0, 0, 0, 101};
  const std::uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(parseFrameLength(at, 100).value(), 100U);
  EXPECT_EQ(parseFrameLength(over, 100).error().code, reason::kFrameTooLarge);
  EXPECT_EQ(parseFrameLength(huge, 100).error().code, reason::kFrameTooLarge);
}

TEST(Frame, DecoderRefusesOversizeOnHeaderBeforeBody) {
  FrameDecoder d(16);
  auto st = d.feed(std::string("\0\0\x10\0", 4));  // announces 4096 bytes, sends none
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, reason::kFrameTooLarge);
  EXPECT_TRUE(d.failed());
}

TEST(Frame, DecoderErrorIsSticky) {
  FrameDecoder d(64);
  ASSERT_TRUE(d.feed(encodeRawFrame("not json")).ok());
  auto r = d.next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kMalformedFrame);
  // A valid frame afterwards does not resynchronise the stream.
  auto st = d.feed(encodeFrame(json{{"type", "ok"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, reason::kMalformedFrame);
  EXPECT_FALSE(d.next().ok());
}

TEST(Frame, DecoderZeroLengthFrameFails) {
  FrameDecoder d(64);
  auto st = d.feed(std::string("\0\0\0\0", 4));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, reason::kMalformedFrame);
}

TEST(Frame, DecoderWaitsForTruncatedFrame) {
  std::string f = encodeFrame(json{{"type", "a"}, {"pad", "xxxxxxxx"}});
  FrameDecoder d(64);
  ASSERT_TRUE(d.feed(std::string_view(f).substr(0, f.size() - 1)).ok());
  auto r = d.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(d.buffered(), f.size() - 1);
}

TEST(FramePayload, AcceptsMinimalObject) {
  auto r = parseFramePayload(R"({"type":"hello","extra":[1,{"a":null}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["type"], "hello");
}

TEST(FramePayload, RejectsMalformedJson) {
  for (const char* bad :
       {"", "{", R"({"type":"a",})", R"({"type":"a"} trailing)", R"({"type":"a" "b":1})",
        "\xff\xfe", "{\"type\":\"a\",\"s\":\"\xc3\x28\"}", R"({"type":"a"/*c*/})"}) {
    auto r = parseFramePayload(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, reason::kMalformedFrame) << bad;
  }
}

TEST(FramePayload, RejectsDuplicateKeys) {
  // Last-wins parsing would let {"type":"hello",...,"type":"quote"} pass a check on one value and
  // act on the other.
  for (const char* bad :
       {R"({"type":"hello","type":"quote"})", R"({"type":"hello","serial":"A","serial":"B"})",
        R"({"type":"hello","identity":{"uuid":"x","uuid":"y"}})",
        R"({"type":"hello","list":[{"k":1,"k":1}]})"}) {
    auto r = parseFramePayload(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, reason::kMalformedFrame) << bad;
    EXPECT_NE(r.error().message.find("duplicate key"), std::string::npos) << r.error().message;
  }
  // The same key in different objects is fine.
  EXPECT_TRUE(parseFramePayload(R"({"type":"hello","a":{"type":1},"b":[{"type":2}]})").ok());
}

TEST(FrameDecoder, ADuplicateKeyFrameIsAStickyError) {
  FrameDecoder d(1024);
  ASSERT_TRUE(d.feed(encodeRawFrame(R"({"type":"a","type":"b"})")).ok());
  auto r = d.next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kMalformedFrame);
  EXPECT_TRUE(d.failed());
}

TEST(FramePayload, RejectsNonObjects) {
  for (const char* bad : {"[]", R"(["type"])", "\"type\"", "42", "null", "true"}) {
    auto r = parseFramePayload(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("not a JSON object"), std::string::npos) << bad;
  }
}

TEST(FramePayload, RejectsMissingEmptyOrBadType) {
  for (const char* bad :
       {R"({})", R"({"Type":"a"})", R"({"type":""})", R"({"type":1})", R"({"type":null})",
        R"({"type":["a"]})", R"({"type":"a b"})", R"({"type":"a\n"})"}) {
    auto r = parseFramePayload(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, reason::kMalformedFrame) << bad;
  }
}

TEST(FramePayload, TypeLengthLimit) {
  std::string ok = R"({"type":")" + std::string(kMaxMessageTypeLength, 'a') + "\"}";
  std::string bad = R"({"type":")" + std::string(kMaxMessageTypeLength + 1, 'a') + "\"}";
  EXPECT_TRUE(parseFramePayload(ok).ok());
  EXPECT_FALSE(parseFramePayload(bad).ok());
}

TEST(FramePayload, DepthLimit) {
  EXPECT_EQ(jsonNestingDepth(nested(kMaxJsonDepth), 100), kMaxJsonDepth);
  EXPECT_TRUE(parseFramePayload(nested(kMaxJsonDepth)).ok());
  auto r = parseFramePayload(nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nesting"), std::string::npos);
}

TEST(FramePayload, DeepNestingIsRejectedWithoutRecursing) {
  // Far deeper than any recursive parser's stack would survive.
  std::string deep(1'000'000, '[');
  auto r = parseFramePayload(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kMalformedFrame);
}

TEST(FramePayload, BracketsInsideStringsDoNotCount) {
  std::string s = R"({"type":"a","s":")" + std::string(100, '[') + R"(\"{{{{"})";
  EXPECT_EQ(jsonNestingDepth(s, 32), 1);
  EXPECT_TRUE(parseFramePayload(s).ok());
}

}  // namespace
}  // namespace pb
