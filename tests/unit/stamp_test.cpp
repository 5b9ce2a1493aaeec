#include <gtest/gtest.h>

#include <lake/stamp.hpp>

namespace {

using namespace std::chrono_literals;

struct Audited {
  [[=lake::pk]] std::string id;
  [[=lake::auto_create_time]] lake::timestamp created_at{};
  [[=lake::tag("updated_at,auto=updateTime")]] std::optional<lake::timestamp> updated_at;
  [[=lake::auto_ingest_id]] std::string batch;
};

TEST(Stamp, InsertSetsZeroCreateTimeUpdateTimeAndIngestId) {
  auto now = lake::now();
  auto id = lake::IngestId::generate();
  lake::timestamp earlier = now - 10s;
  std::vector<Audited> rows{{"a", {}, std::nullopt, ""}, {"b", earlier, earlier, "old"}};
  lake::stamp_auto_fields(std::span(rows), now, id, lake::StampMode::insert);
  EXPECT_EQ(rows[0].created_at, now);
  EXPECT_EQ(rows[1].created_at, earlier);  // a given creation time is kept
  EXPECT_EQ(rows[0].updated_at, now);
  EXPECT_EQ(rows[1].updated_at, now);
  EXPECT_EQ(rows[0].batch, id.to_string());
  EXPECT_EQ(rows[1].batch, id.to_string());
}

TEST(Stamp, UpdateLeavesCreateTimeAlone) {
  auto now = lake::now();
  std::vector<Audited> rows{{"a", {}, std::nullopt, ""}};
  lake::stamp_auto_fields(std::span(rows), now, lake::IngestId::generate(), lake::StampMode::update);
  EXPECT_EQ(rows[0].created_at.time_since_epoch().count(), 0);
  EXPECT_EQ(rows[0].updated_at, now);
}

}  // namespace
