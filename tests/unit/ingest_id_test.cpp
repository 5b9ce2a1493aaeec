#include "lake/ingest_id.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono;
using lake::IngestId;

sys_time<milliseconds> now_ms() { return floor<milliseconds>(system_clock::now()); }

TEST(IngestId, TimeIsCloseToNow) {
  auto before = now_ms();
  IngestId id = IngestId::generate();
  auto after = now_ms();
  // A small allowance for borrowed milliseconds (counter overflow).
  EXPECT_GE(id.time(), before);
  EXPECT_LE(id.time(), after + milliseconds{5});
}

TEST(IngestId, VersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    const auto b = IngestId::generate().bytes();
    ASSERT_EQ(b[6] >> 4, 7);
    ASSERT_EQ(b[8] >> 6, 0b10);
  }
  const auto b = IngestId::generate_at(sys_days{2000y / 1 / 1}).bytes();
  EXPECT_EQ(b[6] >> 4, 7);
  EXPECT_EQ(b[8] >> 6, 0b10);
}

TEST(IngestId, StrictlyIncreasingWithinProcess) {
  constexpr int kCount = 100'000;
  std::vector<IngestId> ids;
  ids.reserve(kCount);
  for (int i = 0; i < kCount; ++i) ids.push_back(IngestId::generate());
  for (std::size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
    // Text order must agree: staging prefixes and log lines sort by it.
    ASSERT_LT(ids[i - 1].to_string(), ids[i].to_string()) << "at " << i;
  }
}

TEST(IngestId, RoundTripsThroughText) {
  for (int i = 0; i < 100; ++i) {
    IngestId id = IngestId::generate();
    std::string text = id.to_string();
    ASSERT_EQ(text.size(), 36u);
    ASSERT_TRUE(std::ranges::none_of(text, [](char c) { return c >= 'A' && c <= 'F'; })) << text;
    auto parsed = IngestId::parse(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(*parsed, id);
    EXPECT_EQ(parsed->time(), id.time());
  }
}

TEST(IngestId, GenerateAtEncodesExactlyThatMillisecond) {
  auto t = sys_days{2026y / January / 2} + 3h + 4min + 5s + 678ms;
  IngestId id = IngestId::generate_at(t);
  EXPECT_EQ(id.time(), t);
  // 2026-01-02T03:04:05.678Z is 1767323045678 ms = 0x019b7ca98f2e.
  EXPECT_EQ(id.to_string().substr(0, 13), "019b7ca9-8f2e");
  EXPECT_EQ(id.to_string()[14], '7');
  // Two ids for the same time are still distinct.
  EXPECT_NE(IngestId::generate_at(t), id);
}

TEST(IngestId, GenerateAtPastTimeSortsByThatTime) {
  IngestId recent = IngestId::generate();
  IngestId backfill = IngestId::generate_at(sys_days{2020y / 1 / 1});
  EXPECT_LT(backfill, recent);
}

TEST(IngestId, ParseAcceptsUpperCase) {
  auto parsed = IngestId::parse("019B7CA9-8F2E-7ABC-9DEF-0123456789AB");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->to_string(), "019b7ca9-8f2e-7abc-9def-0123456789ab");
  EXPECT_EQ(parsed->time(), sys_days{2026y / January / 2} + 3h + 4min + 5s + 678ms);
}

void expect_rejected(std::string_view text) {
  auto parsed = IngestId::parse(text);
  ASSERT_FALSE(parsed.has_value()) << "accepted: " << text;
  EXPECT_EQ(parsed.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_NE(parsed.error().message().find(std::string("\"") + std::string(text) + "\""), std::string::npos)
      << parsed.error().message();
}

TEST(IngestId, ParseRejectsMalformedText) {
  expect_rejected("");
  expect_rejected("019b7ca9-8f2e-7abc-9def-0123456789a");    // 35 chars
  expect_rejected("019b7ca9-8f2e-7abc-9def-0123456789abc");  // 37 chars
  expect_rejected("019b7ca9-8f2e-7abc-9def-0123456789ag");   // non-hex
  expect_rejected("019b7ca9-8f2e-7abc-9def-01234 6789ab");   // space
  expect_rejected("019b7ca9x8f2e-7abc-9def-0123456789ab");   // wrong separator
  expect_rejected("019b7ca98f2e7abc9def0123456789ab");       // no dashes
  expect_rejected("019b7ca98-f2e-7abc-9def-0123456789ab");   // dash misplaced
  expect_rejected("{19b7ca9-8f2e-7abc-9def-0123456789a}");
}

TEST(IngestId, ParseRejectsOtherVersionsAndVariants) {
  expect_rejected("550e8400-e29b-41d4-a716-446655440000");  // version 4
  expect_rejected("00000000-0000-0000-0000-000000000000");  // nil
  expect_rejected("019b7ca9-8f2e-7abc-1def-0123456789ab");  // variant 0b0x (NCS)
  expect_rejected("019b7ca9-8f2e-7abc-cdef-0123456789ab");  // variant 0b110 (Microsoft)
  expect_rejected("019b7ca9-8f2e-7abc-edef-0123456789ab");  // variant 0b111 (reserved)
}

TEST(IngestId, ParseErrorQuotesTruncatedLongInput) {
  std::string text(500, 'a');
  auto parsed = IngestId::parse(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message().size(), 200u);
  EXPECT_NE(parsed.error().message().find("\"" + std::string(64, 'a') + "...\""), std::string::npos);
}

TEST(IngestId, ConcurrentIdsAreUniqueAndIncreasingPerThread) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::vector<IngestId>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&out = per_thread[static_cast<std::size_t>(t)]] {
      out.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) out.push_back(IngestId::generate());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<IngestId> all;
  for (const auto& ids : per_thread) {
    for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), std::size_t{kThreads} * kPerThread);
}

TEST(IngestId, NilId) {
  IngestId nil;
  EXPECT_TRUE(nil.is_nil());
  EXPECT_EQ(nil.to_string(), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(nil.time(), sys_time<milliseconds>{});
  EXPECT_FALSE(IngestId::generate().is_nil());
  EXPECT_LT(nil, IngestId::generate());
}

}  // namespace
