// The table-format contract (src/formats/table_format.hpp), exercised
// directly and the same way for every format that implements it natively:
// create and open, two-phase commits (nothing visible before commit(),
// nothing left after abort()), the format's conflict rules, keyed merges,
// idempotency records, time travel, history, stats and scans with file
// skipping. A format joins by adding a row to kFormats.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <format>

#include <lake/lake.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "core/propagate.hpp"
#include "delta/delta_format.hpp"
#include "iceberg/iceberg_format.hpp"
#include "formats/lake_properties.hpp"
#include "formats/table_format.hpp"
#include "support/forwarding_backend.hpp"

namespace {

using namespace lake;
namespace cp = arrow::compute;

struct [[=lake::table("events")]] Event {
  [[=lake::pk]] std::int64_t id = 0;
  [[=lake::partition]] std::string region;
  std::optional<std::int64_t> amount;
};

struct FormatCase {
  std::string name;
  std::shared_ptr<const formats::NativeFormat> (*format)();
  // Delta's table creation is version 0 of its log; an Iceberg table is
  // created without a snapshot.
  bool creation_is_a_snapshot = true;
  // Iceberg promotes int to long and float to double in its schema; Delta
  // needs its typeWidening feature for that (not written yet).
  bool promotes_types = false;
  // Delta changes partitioning by rewriting the table (formats::
  // Repartition); Iceberg evolves its spec instead and refuses it.
  bool rewrites_partitioning = false;
};

const FormatCase kFormats[] = {
    {"delta", &delta::native_format, true, false, true},
    {"iceberg", &iceberg::native_format, false, true, false},
};

std::vector<Event> events(std::int64_t first, std::int64_t count, std::string region, std::int64_t amount = 1) {
  std::vector<Event> rows;
  for (std::int64_t i = first; i < first + count; ++i) rows.push_back({i, region, amount});
  return rows;
}

std::shared_ptr<arrow::RecordBatchReader> reader_of(const std::vector<Event>& rows) {
  auto batch = to_record_batch(std::span<const Event>(rows), {.ingest_id = IngestId::generate()});
  EXPECT_TRUE(batch) << batch.error().to_string();
  return *arrow::RecordBatchReader::Make({*batch});
}

class TableFormatConformance : public ::testing::TestWithParam<FormatCase> {
 protected:
  void SetUp() override {
    format = GetParam().format();
    auto created = format->create(backend, ref, {.schema = &schema_of<Event>(), .properties = {}, .if_not_exists = false},
                                  options);
    ASSERT_TRUE(created) << created.error().to_string();
    table = std::move(*created);
  }

  std::unique_ptr<formats::FormatTable> open() {
    auto opened = format->open(backend, ref, options);
    EXPECT_TRUE(opened && *opened) << (opened ? "no table" : opened.error().to_string());
    return opened ? std::move(*opened) : nullptr;
  }

  static WriteResult commit(formats::FormatTable& handle, formats::RowChange change,
                            std::optional<IdempotencyKey> key = std::nullopt) {
    auto prepared = handle.prepare(std::move(change), {IngestId::generate(), std::move(key)});
    EXPECT_TRUE(prepared) << prepared.error().to_string();
    if (!prepared) return {};
    auto committed = (*prepared)->commit();
    EXPECT_TRUE(committed) << committed.error().to_string();
    return committed ? *committed : WriteResult{};
  }

  // Every row of the handle's snapshot, sorted by id.
  static std::vector<std::pair<std::int64_t, std::int64_t>> rows(const formats::FormatTable& handle,
                                                                 std::optional<formats::Predicate> filter = {}) {
    auto plan = handle.plan_scan(filter);
    EXPECT_TRUE(plan) << plan.error().to_string();
    auto reader = handle.read(*plan, {.columns = {"id", "amount"}, .row_filter = filter});
    EXPECT_TRUE(reader) << reader.error().to_string();
    auto all = (*reader)->ToTable();
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    auto combined = (*all)->CombineChunksToBatch().ValueOrDie();
    const auto& ids = static_cast<const arrow::Int64Array&>(*combined->column(0));
    const auto& amounts = static_cast<const arrow::Int64Array&>(*combined->column(1));
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t i = 0; i < combined->num_rows(); ++i)
      out.emplace_back(ids.Value(i), amounts.IsNull(i) ? -1 : amounts.Value(i));
    std::ranges::sort(out);
    return out;
  }

  std::set<std::string> stored_keys() {
    auto listed = backend->list("");
    EXPECT_TRUE(listed);
    std::set<std::string> keys;
    for (const auto& object : *listed) keys.insert(object.key);
    return keys;
  }

  std::shared_ptr<const formats::NativeFormat> format;
  std::shared_ptr<Backend> backend = memory_backend();
  TableRef ref{"events", "events"};
  formats::HandleOptions options{};
  std::unique_ptr<formats::FormatTable> table;
};

TEST_P(TableFormatConformance, CreatesAndOpensATableWithItsColumnsPartitioningAndKeys) {
  const auto& metadata = table->metadata();
  EXPECT_EQ(metadata.format, GetParam().name);
  std::vector<std::string> columns;
  for (const auto& column : metadata.columns) columns.push_back(column.field.column);
  EXPECT_EQ(columns, (std::vector<std::string>{"id", "region", "amount", "_ingest_id"}));
  ASSERT_EQ(metadata.partitioning.size(), 1u);
  EXPECT_EQ(metadata.partitioning[0].source_column, "region");
  EXPECT_EQ(metadata.partitioning[0].transform, formats::Transform::identity);
  EXPECT_EQ(table->primary_keys(), std::vector<std::string>{"id"});

  auto reopened = open();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->metadata().snapshot.id, metadata.snapshot.id);
  auto missing = format->open(backend, TableRef{"nothing", "nothing"}, options);
  ASSERT_TRUE(missing) << missing.error().to_string();
  EXPECT_EQ(*missing, nullptr);

  auto again = format->create(backend, ref, {.schema = &schema_of<Event>(), .properties = {}, .if_not_exists = false},
                              options);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists);
}

TEST_P(TableFormatConformance, NothingIsVisibleBeforeCommit) {
  auto prepared = table->prepare(formats::Append{reader_of(events(0, 10, "eu"))}, {IngestId::generate()});
  ASSERT_TRUE(prepared) << prepared.error().to_string();
  auto reader = open();
  EXPECT_TRUE(rows(*reader).empty());
  const auto before = reader->metadata().snapshot;

  auto committed = (*prepared)->commit();
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_TRUE(committed->committed);
  EXPECT_EQ(committed->rows_inserted, 10);
  ASSERT_TRUE(reader->refresh());
  EXPECT_EQ(rows(*reader).size(), 10u);
  EXPECT_GT(reader->metadata().snapshot.sequence_number, before.sequence_number);
  EXPECT_EQ(reader->metadata().snapshot.id, committed->version);
}

TEST_P(TableFormatConformance, AbortLeavesTheTableAndItsStorageAsTheyWere) {
  commit(*table, formats::Append{reader_of(events(0, 20, "eu"))});
  commit(*table, formats::Append{reader_of(events(20, 20, "us"))});
  const auto snapshot = table->metadata().snapshot.id;
  const auto keys = stored_keys();
  const auto contents = rows(*table);

  std::vector<formats::RowChange> changes;
  changes.emplace_back(formats::Append{reader_of(events(100, 5, "eu"))});
  changes.emplace_back(formats::Merge{reader_of(events(15, 10, "eu", 7)), {}, OnMatch::update, OnNoMatch::insert});
  changes.emplace_back(formats::Merge{reader_of(events(0, 5, "eu")), {}, OnMatch::remove, OnNoMatch::skip});
  changes.emplace_back(formats::DeleteWhere{cp::less(cp::field_ref("id"), cp::literal(std::int64_t{30}))});
  changes.emplace_back(formats::UpdateWhere{cp::equal(cp::field_ref("region"), cp::literal("us")),
                                            {{"amount", cp::literal(std::int64_t{9})}}});
  for (std::size_t i = 0; i < changes.size(); ++i) {
    SCOPED_TRACE(i);
    auto prepared = table->prepare(std::move(changes[i]), {IngestId::generate()});
    ASSERT_TRUE(prepared) << prepared.error().to_string();
    EXPECT_NE(stored_keys(), keys) << "the first phase writes its data files";
    (*prepared)->abort();
    EXPECT_EQ(stored_keys(), keys);
    auto reader = open();
    EXPECT_EQ(reader->metadata().snapshot.id, snapshot);
    EXPECT_EQ(rows(*reader), contents);
  }
  // Destroying a prepared commit without commit() aborts it too.
  {
    auto prepared = table->prepare(formats::Append{reader_of(events(200, 5, "eu"))}, {IngestId::generate()});
    ASSERT_TRUE(prepared);
  }
  EXPECT_EQ(stored_keys(), keys);
}

TEST_P(TableFormatConformance, BlindAppendsCommuteAndConflictingDeletesDoNot) {
  commit(*table, formats::Append{reader_of(events(0, 10, "eu"))});
  auto other = open();
  auto mine = table->prepare(formats::Append{reader_of(events(10, 10, "eu"))}, {IngestId::generate()});
  auto theirs = other->prepare(formats::Append{reader_of(events(20, 10, "us"))}, {IngestId::generate()});
  ASSERT_TRUE(mine && theirs);
  ASSERT_TRUE((*theirs)->commit());
  auto landed = (*mine)->commit();
  ASSERT_TRUE(landed) << landed.error().to_string();
  EXPECT_GE(landed->attempts, 2) << "it lost the race once and committed on top";
  EXPECT_EQ(rows(*open()).size(), 30u);

  // Two deletes of the same rows, prepared on one snapshot: the second to
  // commit read files the first removed.
  auto first = table->prepare(formats::DeleteWhere{cp::less(cp::field_ref("id"), cp::literal(std::int64_t{5}))},
                              {IngestId::generate()});
  auto reader = open();
  auto second = reader->prepare(formats::DeleteWhere{cp::less(cp::field_ref("id"), cp::literal(std::int64_t{3}))},
                                {IngestId::generate()});
  ASSERT_TRUE(first && second);
  ASSERT_TRUE((*first)->commit());
  auto lost = (*second)->commit();
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::conflict);
  EXPECT_EQ(rows(*open()).size(), 25u);
}

TEST_P(TableFormatConformance, KeyedMergesConflictOnlyOnKeysTheyShare) {
  commit(*table, formats::Append{reader_of(events(0, 10, "eu"))});
  auto other = open();
  // Disjoint keys: the loser commits on top of the winner.
  auto mine = table->prepare(formats::Merge{reader_of(events(100, 10, "eu")), {}, OnMatch::fail, OnNoMatch::insert},
                             {IngestId::generate()});
  auto theirs = other->prepare(formats::Merge{reader_of(events(200, 10, "eu")), {}, OnMatch::fail, OnNoMatch::insert},
                               {IngestId::generate()});
  ASSERT_TRUE(mine && theirs);
  ASSERT_TRUE((*theirs)->commit());
  auto landed = (*mine)->commit();
  ASSERT_TRUE(landed) << landed.error().to_string();
  EXPECT_EQ(landed->rows_inserted, 10);

  // A shared key under insert-if-absent: the loser runs again and finds it.
  auto third = open();
  auto a = table->prepare(formats::Merge{reader_of(events(300, 5, "eu")), {}, OnMatch::fail, OnNoMatch::insert},
                          {IngestId::generate()});
  auto b = third->prepare(formats::Merge{reader_of(events(304, 5, "eu")), {}, OnMatch::fail, OnNoMatch::insert},
                          {IngestId::generate()});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE((*a)->commit());
  auto refused = (*b)->commit();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::already_exists);
  EXPECT_NE(refused.error().message().find("id=304"), std::string::npos) << refused.error().message();
  EXPECT_EQ(rows(*open()).size(), 35u);

  // Update on match replaces the row.
  auto updated = commit(*table, formats::Merge{reader_of(events(0, 2, "eu", 42)), {}, OnMatch::update, OnNoMatch::skip});
  EXPECT_EQ(updated.rows_updated, 2);
  EXPECT_EQ(rows(*open()).front(), (std::pair<std::int64_t, std::int64_t>{0, 42}));
}

TEST_P(TableFormatConformance, AnIdempotencyKeyAppliesOnceWithinItsTtl) {
  const IdempotencyKey key{"batch-7", std::chrono::hours(1)};
  auto first = commit(*table, formats::Append{reader_of(events(0, 10, "eu"))}, key);
  EXPECT_TRUE(first.committed);
  auto again = commit(*open(), formats::Append{reader_of(events(0, 10, "eu"))}, key);
  EXPECT_FALSE(again.committed);
  EXPECT_TRUE(again.skipped_as_duplicate);
  EXPECT_EQ(rows(*open()).size(), 10u);
  auto expired = commit(*open(), formats::Append{reader_of(events(10, 10, "eu"))},
                        IdempotencyKey{"batch-7", std::chrono::seconds(0)});
  EXPECT_TRUE(expired.committed);
  EXPECT_EQ(rows(*open()).size(), 20u);
}

TEST_P(TableFormatConformance, TimeTravelHistoryAndStats) {
  auto v1 = commit(*table, formats::Append{reader_of(events(0, 10, "eu"))});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const timestamp between = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto v2 = commit(*table, formats::DeleteWhere{cp::less(cp::field_ref("id"), cp::literal(std::int64_t{4}))});
  EXPECT_EQ(v2.rows_deleted, 4);
  EXPECT_EQ(rows(*table).size(), 6u);

  auto by_id = table->at(formats::SnapshotSelector(v1.version));
  ASSERT_TRUE(by_id) << by_id.error().to_string();
  EXPECT_EQ(rows(**by_id).size(), 10u);
  auto by_time = table->at(formats::SnapshotSelector(between));
  ASSERT_TRUE(by_time) << by_time.error().to_string();
  EXPECT_EQ((*by_time)->metadata().snapshot.id, v1.version);
  EXPECT_EQ(rows(**by_time).size(), 10u);

  auto history = table->history(std::nullopt);
  ASSERT_TRUE(history) << history.error().to_string();
  ASSERT_EQ(history->size(), GetParam().creation_is_a_snapshot ? 3u : 2u);  // (create,) append, delete
  EXPECT_EQ(history->front().version, v2.version);
  auto limited = table->history(1);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 1u);

  auto stats = table->stats();
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->rows, 6);
  EXPECT_EQ(stats->version, v2.version);
  EXPECT_EQ(stats->partition_columns, std::vector<std::string>{"region"});
}

TEST_P(TableFormatConformance, ScansSkipFilesThatCannotMatch) {
  for (int i = 0; i < 8; ++i) commit(*table, formats::Append{reader_of(events(i * 10, 10, i % 2 ? "us" : "eu"))});
  auto all = table->plan_scan(std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->files.size(), 8u);
  EXPECT_EQ(all->files_total, 8);

  // By partition value, and by column statistics.
  auto us = table->plan_scan(cp::equal(cp::field_ref("region"), cp::literal("us")));
  ASSERT_TRUE(us) << us.error().to_string();
  EXPECT_EQ(us->files.size(), 4u);
  const formats::Predicate point = cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{42}));
  auto one = table->plan_scan(point);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->files.size(), 1u);
  EXPECT_EQ(rows(*table, point), (std::vector<std::pair<std::int64_t, std::int64_t>>{{42, 1}}));

  // Without a row filter the planned files are read whole (the caller
  // filters rows): skipping alone never drops a row that matches.
  auto reader = table->read(*one, {.columns = {"id"}});
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->ToTable().ValueOrDie()->num_rows(), 10);

  auto unknown = table->plan_scan(cp::equal(cp::field_ref("nope"), cp::literal(1)));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::schema_mismatch);
}

TEST_P(TableFormatConformance, SchemaEvolutionAddsNullableColumnsOnly) {
  struct [[=lake::table("events")]] EventV2 {
    [[=lake::pk]] std::int64_t id = 0;
    [[=lake::partition]] std::string region;
    std::optional<std::int64_t> amount;
    std::optional<std::string> note;
  };
  commit(*table, formats::Append{reader_of(events(0, 3, "eu"))});
  ASSERT_TRUE(table->evolve_to(schema_of<EventV2>()));
  EXPECT_EQ(table->metadata().columns.size(), 5u);
  EXPECT_EQ(rows(*table).size(), 3u);

  struct [[=lake::table("events")]] EventBad {
    [[=lake::pk]] std::int64_t id = 0;
    [[=lake::partition]] std::string region;
    std::string amount;
  };
  auto refused = table->evolve_to(schema_of<EventBad>());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::schema_mismatch);
}

// A migration's changes land as one commit, or not at all.
TEST_P(TableFormatConformance, AlterAppliesAListOfChangesAtOnceOrNotAtAll) {
  commit(*table, formats::Append{reader_of(events(0, 3, "eu", 7))});
  const auto history_before = table->history(std::nullopt);
  ASSERT_TRUE(history_before);
  Field note;
  note.column = "note";
  note.type = TypeId::string;
  note.nullable = true;
  std::vector<formats::TableChange> changes;
  // Delta renames only under column mapping (a migration turns it on first).
  if (GetParam().name == "delta") changes.push_back(formats::SetProperties{{{"delta.columnMapping.mode", "name"}}});
  changes.push_back(formats::RenameColumn{"amount", "total"});
  changes.push_back(formats::AddColumns{{note}});
  changes.push_back(formats::SetProperties{{{"lake.mergeKeys", "id"}}});
  ASSERT_TRUE(table->alter(changes)) << "alter";
  std::vector<std::string> names;
  for (const auto& column : table->metadata().columns) names.push_back(column.field.column);
  // New columns go last, after _ingest_id, as Spark's ADD COLUMNS puts them.
  EXPECT_EQ(names, (std::vector<std::string>{"id", "region", "total", "_ingest_id", "note"}));
  EXPECT_EQ(table->metadata().properties.at("lake.mergeKeys"), "id");
  // The rows keep their values under the new name; the new column is NULL.
  auto plan = table->plan_scan(std::nullopt);
  ASSERT_TRUE(plan);
  auto reader = table->read(*plan, {.columns = {"id", "total", "note"}});
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto all = (*reader)->ToTable().ValueOrDie()->CombineChunksToBatch().ValueOrDie();
  ASSERT_EQ(all->num_rows(), 3);
  EXPECT_EQ(all->column(1)->GetScalar(0).ValueOrDie()->ToString(), "7");
  EXPECT_EQ(all->column(2)->null_count(), 3);
  // Another handle sees the same.
  EXPECT_EQ(open()->metadata().columns.size(), 5u);
  if (GetParam().creation_is_a_snapshot) {
    auto history = table->history(std::nullopt);
    ASSERT_TRUE(history);
    EXPECT_EQ(history->size(), history_before->size() + 1) << "one commit for the list";
  }

  // A list with one refused change commits none of it: the partition
  // column cannot be dropped.
  const auto columns_before = table->metadata().columns.size();
  auto refused = table->alter(std::vector<formats::TableChange>{formats::AddColumns{{[] {
                                                                    Field f;
                                                                    f.column = "extra";
                                                                    f.type = TypeId::int64;
                                                                    f.nullable = true;
                                                                    return f;
                                                                  }()}},
                                                                formats::DropColumn{"region"}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("region"), std::string::npos) << refused.error().to_string();
  ASSERT_TRUE(table->refresh());
  EXPECT_EQ(table->metadata().columns.size(), columns_before);
}

TEST_P(TableFormatConformance, DropRemovesTheTableAndItsFiles) {
  commit(*table, formats::Append{reader_of(events(0, 3, "eu"))});
  ASSERT_TRUE(format->drop(backend, ref));
  auto gone = format->open(backend, ref, options);
  ASSERT_TRUE(gone) << gone.error().to_string();
  EXPECT_FALSE(*gone);
  auto left = backend->list(ref.location + "/");
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty()) << left->size() << " objects left, the first " << left->front().key;
  EXPECT_TRUE(format->drop(backend, ref)) << "a table that is not there is nothing to do";
  auto again = format->create(backend, ref, {.schema = &schema_of<Event>(), .properties = {}, .if_not_exists = false},
                              options);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(rows(**again).empty()) << "a new table, not the old one's rows";
}

TEST_P(TableFormatConformance, RepartitionRewritesEveryRowOrIsRefused) {
  commit(*table, formats::Append{reader_of(events(0, 4, "eu", 5))});
  commit(*table, formats::Append{reader_of(events(4, 2, "us", 6))});
  const std::vector<formats::TableChange> rewrite{
      formats::Repartition{.partitioning = {}, .properties = {{"lake.note", "flat"}}}};
  auto rewritten = table->alter(rewrite);
  if (!GetParam().rewrites_partitioning) {
    ASSERT_FALSE(rewritten);
    EXPECT_EQ(rewritten.error().code(), ErrorCode::unsupported);
    EXPECT_EQ(table->metadata().partitioning.size(), 1u);
    return;
  }
  ASSERT_TRUE(rewritten) << rewritten.error().to_string();
  EXPECT_TRUE(table->metadata().partitioning.empty()) << "no longer partitioned by region";
  EXPECT_EQ(table->metadata().properties.at("lake.note"), "flat");
  auto reader = open();
  auto all = rows(*reader);
  ASSERT_EQ(all.size(), 6u) << "every row kept";
  EXPECT_EQ(all.front(), (std::pair<std::int64_t, std::int64_t>{0, 5}));
  EXPECT_EQ(all.back(), (std::pair<std::int64_t, std::int64_t>{5, 6}));
  // Columns keep their nullability and order.
  EXPECT_FALSE(reader->metadata().columns.front().field.nullable);
  // A repartition with other changes is refused, committing nothing.
  const std::vector<formats::TableChange> mixed{formats::Repartition{}, formats::DropNotNull{"id"}};
  EXPECT_FALSE(table->alter(mixed));
}

struct [[=lake::table("readings")]] Reading {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::int32_t> count;
  std::optional<float> ratio;
};
struct [[=lake::table("readings")]] WideReading {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::int64_t> count;
  std::optional<double> ratio;
};

TEST_P(TableFormatConformance, TypePromotionsFollowTheFormatsRules) {
  auto created = format->create(backend, {"readings", "readings"},
                                {.schema = &schema_of<Reading>(), .properties = {}, .if_not_exists = false}, options);
  ASSERT_TRUE(created) << created.error().to_string();
  auto& readings = **created;
  std::vector<Reading> narrow{{1, 7, 0.5f}, {2, std::nullopt, 1.5f}};
  auto batch = to_record_batch(std::span<const Reading>(narrow), {.ingest_id = IngestId::generate()});
  ASSERT_TRUE(batch);
  commit(readings, formats::Append{*arrow::RecordBatchReader::Make({*batch})});

  auto widened = readings.evolve_to(schema_of<WideReading>());
  if (!GetParam().promotes_types) {
    ASSERT_FALSE(widened);
    EXPECT_EQ(widened.error().code(), ErrorCode::schema_mismatch) << widened.error().to_string();
    return;
  }
  ASSERT_TRUE(widened) << widened.error().to_string();
  EXPECT_EQ(readings.arrow_schema()->GetFieldByName("count")->type()->id(), arrow::Type::INT64);
  EXPECT_EQ(readings.arrow_schema()->GetFieldByName("ratio")->type()->id(), arrow::Type::DOUBLE);
  std::vector<WideReading> wide{{3, 5'000'000'000, 2.25}};
  auto wide_batch = to_record_batch(std::span<const WideReading>(wide), {.ingest_id = IngestId::generate()});
  ASSERT_TRUE(wide_batch);
  commit(readings, formats::Append{*arrow::RecordBatchReader::Make({*wide_batch})});

  // The file written before reads as the new types; its int bounds still
  // skip it.
  auto plan = readings.plan_scan(std::nullopt);
  ASSERT_TRUE(plan);
  auto all = (*readings.read(*plan, {.columns = {"id", "count", "ratio"}}))->ToTable().ValueOrDie();
  auto sorted = cp::Take(all, cp::SortIndices(arrow::Datum(all), cp::SortOptions({cp::SortKey("id")})).ValueOrDie())
                    .ValueOrDie()
                    .table()
                    ->CombineChunksToBatch()
                    .ValueOrDie();
  const auto& counts = static_cast<const arrow::Int64Array&>(*sorted->GetColumnByName("count"));
  const auto& ratios = static_cast<const arrow::DoubleArray&>(*sorted->GetColumnByName("ratio"));
  ASSERT_EQ(sorted->num_rows(), 3);
  EXPECT_EQ(counts.Value(0), 7);
  EXPECT_TRUE(counts.IsNull(1));
  EXPECT_EQ(counts.Value(2), 5'000'000'000);
  EXPECT_EQ(ratios.Value(0), 0.5);
  EXPECT_EQ(ratios.Value(2), 2.25);
  auto big = readings.plan_scan(cp::greater(cp::field_ref("count"), cp::literal(std::int64_t{100})));
  ASSERT_TRUE(big) << big.error().to_string();
  EXPECT_EQ(big->files.size(), 1u);

  // Narrowing back is not a promotion.
  auto narrowed = readings.evolve_to(schema_of<Reading>());
  ASSERT_FALSE(narrowed);
  EXPECT_EQ(narrowed.error().code(), ErrorCode::schema_mismatch) << narrowed.error().to_string();
}

struct [[=lake::table("shifts")]] Shift {
  [[=lake::pk]] std::int64_t id = 0;
  [[=lake::partition]] lake::local_timestamp day{};
  lake::local_timestamp starts{};
  lake::timestamp logged{};
};

// A local timestamp column keeps its wall-clock readings in both formats
// (Delta timestamp_ntz with its table feature, Iceberg timestamp): as a
// partition value, in stats that skip files, and read back unchanged.
TEST_P(TableFormatConformance, LocalTimestampsKeepTheirReadings) {
  auto created = format->create(backend, {"shifts", "shifts"},
                                {.schema = &schema_of<Shift>(), .properties = {}, .if_not_exists = false}, options);
  ASSERT_TRUE(created) << created.error().to_string();
  auto& shifts = **created;
  EXPECT_TRUE(shifts.arrow_schema()->GetFieldByName("starts")->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_TRUE(shifts.arrow_schema()->GetFieldByName("logged")->type()->Equals(
      arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  auto at = [](const char* text) { return *parse_local_timestamp(text); };
  for (int day : {1, 2}) {
    std::vector<Shift> rows;
    for (std::int64_t i = 0; i < 3; ++i)
      rows.push_back({.id = day * 10 + i,
                      .day = at(std::format("2026-03-0{}", day).c_str()),
                      .starts = at(std::format("2026-03-0{} 0{}:30:00.5", day, i + 1).c_str()),
                      .logged = *parse_timestamp("2026-03-01T00:00:00Z")});
    auto batch = to_record_batch(std::span<const Shift>(rows), {.ingest_id = IngestId::generate()});
    ASSERT_TRUE(batch) << batch.error().to_string();
    commit(shifts, formats::Append{*arrow::RecordBatchReader::Make({*batch})});
  }
  auto late = cp::greater_equal(cp::field_ref("starts"),
                                cp::literal(std::make_shared<arrow::TimestampScalar>(
                                    at("2026-03-02 02:00:00").time_since_epoch().count(),
                                    arrow::timestamp(arrow::TimeUnit::MICRO))));
  auto plan = shifts.plan_scan(late);
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_EQ(plan->files.size(), 1u) << "stats on the local timestamps skip the first day's file";
  auto reader = shifts.read(*plan, {.columns = {}, .row_filter = late});
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto read = (*reader)->ToTable();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  auto back = from_record_batch<Shift>((*read)->CombineChunksToBatch().ValueOrDie());
  ASSERT_TRUE(back) << back.error().to_string();
  std::ranges::sort(*back, {}, &Shift::id);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].id, 21);
  EXPECT_EQ((*back)[0].day, at("2026-03-02"));
  EXPECT_EQ((*back)[0].starts, at("2026-03-02 02:30:00.5"));
  EXPECT_EQ((*back)[1].starts, at("2026-03-02 03:30:00.5"));
}

TEST_P(TableFormatConformance, ReplaceWhereSwapsTheMatchingRowsInOneCommit) {
  commit(*table, formats::Append{reader_of(events(0, 10, "eu"))});
  commit(*table, formats::Append{reader_of(events(10, 10, "us"))});
  const formats::Predicate eu = cp::equal(cp::field_ref("region"), cp::literal("eu"));
  auto history_before = table->history(std::nullopt);
  ASSERT_TRUE(history_before);
  auto replaced = commit(*table, formats::ReplaceWhere{eu, reader_of(events(100, 5, "eu", 7))});
  EXPECT_TRUE(replaced.committed);
  EXPECT_EQ(replaced.rows_deleted, 10);
  EXPECT_EQ(replaced.rows_inserted, 5);
  auto handle = open();
  auto all = rows(*handle);
  ASSERT_EQ(all.size(), 15u);
  for (const auto& [id, amount] : all) EXPECT_TRUE((id >= 10 && id < 20 && amount == 1) || (id >= 100 && amount == 7)) << id;
  auto history = handle->history(std::nullopt);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), history_before->size() + 1) << "one commit";

  // A row outside the predicate: refused before anything is written.
  const auto stored = stored_keys();
  auto prepared = handle->prepare(formats::ReplaceWhere{eu, reader_of(events(200, 2, "us"))}, {IngestId::generate(), {}});
  ASSERT_FALSE(prepared);
  EXPECT_EQ(prepared.error().code(), ErrorCode::invalid_argument) << prepared.error().to_string();
  EXPECT_EQ(stored_keys(), stored);
  // Nothing to replace and no rows: nothing committed.
  auto nothing = commit(*handle, formats::ReplaceWhere{cp::equal(cp::field_ref("region"), cp::literal("ap")),
                                                       reader_of({})});
  EXPECT_FALSE(nothing.committed);
}

TEST_P(TableFormatConformance, UpdatesAndKeyedRemovesRewriteOnlyTheirRows) {
  commit(*table, formats::Append{reader_of(events(0, 10, "eu"))});
  commit(*table, formats::Append{reader_of(events(10, 10, "us"))});
  auto updated = commit(*table, formats::UpdateWhere{cp::greater_equal(cp::field_ref("id"), cp::literal(std::int64_t{15})),
                                                     {{"amount", cp::literal(std::int64_t{5})}}});
  EXPECT_TRUE(updated.committed);
  EXPECT_EQ(updated.rows_updated, 5);
  auto removed = commit(*table, formats::Merge{reader_of(events(8, 4, "eu")), {}, OnMatch::remove, OnNoMatch::skip});
  EXPECT_EQ(removed.rows_deleted, 4);
  EXPECT_EQ(removed.rows_inserted, 0);
  auto all = rows(*open());
  ASSERT_EQ(all.size(), 16u);
  for (const auto& [id, amount] : all) {
    EXPECT_TRUE(id < 8 || id >= 12) << id;
    EXPECT_EQ(amount, id >= 15 ? 5 : 1) << id;
  }
  // A change that matches nothing commits nothing.
  auto nothing = commit(*table, formats::DeleteWhere{cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{999}))});
  EXPECT_FALSE(nothing.committed);
  EXPECT_EQ(nothing.rows_deleted, 0);
}

// Merges, updates and deletes read and rewrite their files several at a
// time (the writer threads). The same changes on one thread and on four
// end with the same rows, the same counts, the same number of files and
// the same errors.
TEST_P(TableFormatConformance, RowChangesOnSeveralThreadsEndAsOnOneThread) {
  struct Side {
    std::shared_ptr<Backend> backend = memory_backend();
    std::unique_ptr<formats::FormatTable> table{};
  };
  auto make = [&](int threads) {
    Side side;
    formats::HandleOptions with = options;
    with.writer_threads = threads;
    auto created = format->create(side.backend, ref,
                                  {.schema = &schema_of<Event>(), .properties = {}, .if_not_exists = false}, with);
    EXPECT_TRUE(created) << created.error().to_string();
    if (created) side.table = std::move(*created);
    return side;
  };
  Side one = make(1);
  Side four = make(4);
  ASSERT_TRUE(one.table && four.table);
  // Eight files in two partitions.
  for (Side* side : {&one, &four})
    for (int i = 0; i < 8; ++i) commit(*side->table, formats::Append{reader_of(events(i * 20, 20, i % 2 ? "us" : "eu"))});

  auto every = [](std::int64_t first, std::int64_t last, std::int64_t step, std::int64_t amount) {
    std::vector<Event> rows;
    for (std::int64_t id = first; id < last; id += step) rows.push_back({id, id / 20 % 2 ? "us" : "eu", amount});
    return rows;
  };
  const auto id = cp::field_ref("id");
  using MakeChange = std::function<formats::RowChange()>;
  const std::vector<std::pair<std::string, MakeChange>> changes = {
      {"merge updating every 7th id and inserting 5",
       [&] {
         auto rows = every(0, 160, 7, 9);
         for (std::int64_t extra = 500; extra < 505; ++extra) rows.push_back({extra, "eu", 9});
         return formats::Merge{reader_of(rows), {}, OnMatch::update, OnNoMatch::insert};
       }},
      {"update of ids 50..129",
       [&] {
         return formats::UpdateWhere{cp::and_(cp::greater_equal(id, cp::literal(std::int64_t{50})),
                                              cp::less(id, cp::literal(std::int64_t{130}))),
                                     {{"amount", cp::literal(std::int64_t{3})}}};
       }},
      {"delete where amount = 9",
       [&] { return formats::DeleteWhere{cp::equal(cp::field_ref("amount"), cp::literal(std::int64_t{9}))}; }},
      {"merge removing every 3rd id below 100",
       [&] { return formats::Merge{reader_of(every(0, 100, 3, 0)), {}, OnMatch::remove, OnNoMatch::skip}; }},
  };
  for (const auto& [what, change] : changes) {
    SCOPED_TRACE(what);
    const WriteResult on_one = commit(*one.table, change());
    const WriteResult on_four = commit(*four.table, change());
    EXPECT_TRUE(on_one.committed && on_four.committed);
    EXPECT_EQ(on_four.rows_inserted, on_one.rows_inserted);
    EXPECT_EQ(on_four.rows_updated, on_one.rows_updated);
    EXPECT_EQ(on_four.rows_deleted, on_one.rows_deleted);
    EXPECT_GT(on_one.rows_updated + on_one.rows_deleted, 0);
    auto stats_one = one.table->stats();
    auto stats_four = four.table->stats();
    ASSERT_TRUE(stats_one && stats_four);
    EXPECT_EQ(stats_four->files, stats_one->files);
    EXPECT_EQ(stats_four->rows, stats_one->rows);
    EXPECT_EQ(rows(*four.table), rows(*one.table));
  }
  const auto all = rows(*one.table);
  // 160 + 5 inserted; of the 28 rows at amount 9, the 11 among ids 50..129
  // were set to 3 and the 17 others deleted; then the 34 ids that are
  // multiples of 3 below 100 less the 3 already deleted (0, 21, 42).
  EXPECT_EQ(all.size(), 160u + 5 - 17 - 31);

  // A key the table holds twice (an append does not check keys): the same
  // error on both, naming it.
  for (Side* side : {&one, &four}) commit(*side->table, formats::Append{reader_of(events(40, 1, "us"))});
  std::optional<std::string> first_message;
  for (Side* side : {&one, &four}) {
    auto refused = side->table->prepare(formats::Merge{reader_of(events(40, 1, "eu", 8)), {}, OnMatch::update, OnNoMatch::insert},
                                        {IngestId::generate(), {}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(refused.error().message().find("id=40"), std::string::npos) << refused.error().message();
    if (!first_message) first_message = refused.error().message();
    EXPECT_EQ(refused.error().message(), *first_message);
  }
}

// Data files fail to be written part-way through a rewrite on four
// threads: the change fails with the storage's error, and the files the
// other threads wrote are gone again.
TEST_P(TableFormatConformance, AFailedParallelRewriteLeavesNothingBehind) {
  struct FailingDataFiles final : lake::testing::ForwardingBackend {
    using ForwardingBackend::ForwardingBackend;
    std::atomic<int> allowed{1'000'000};
    Status refuse(std::string_view key) {
      if (key.ends_with(".parquet") && allowed.fetch_sub(1) <= 0)
        return fail(ErrorCode::io, std::format("refusing '{}' (the test's storage)", key));
      return {};
    }
    Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override {
      LAKE_RETURN_IF_ERROR(refuse(key));
      return ForwardingBackend::put(key, data, mode);
    }
    Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override {
      LAKE_RETURN_IF_ERROR(refuse(key));
      return ForwardingBackend::open_writer(key, mode);
    }
  };
  auto failing = std::make_shared<FailingDataFiles>(memory_backend());
  formats::HandleOptions with = options;
  with.writer_threads = 4;
  auto created = format->create(failing, ref, {.schema = &schema_of<Event>(), .properties = {}, .if_not_exists = false}, with);
  ASSERT_TRUE(created) << created.error().to_string();
  auto& handle = **created;
  for (int i = 0; i < 8; ++i) commit(handle, formats::Append{reader_of(events(i * 20, 20, "eu"))});
  const auto before = rows(handle);
  auto listed = failing->list("");
  ASSERT_TRUE(listed);
  std::set<std::string> stored;
  for (const auto& object : *listed) stored.insert(object.key);

  // Every file changes: eight rewrites, of which three get written.
  std::vector<Event> changed;
  for (std::int64_t id = 0; id < 160; id += 20) changed.push_back({id, "eu", 5});
  const std::vector<std::pair<std::string, std::function<formats::RowChange()>>> changes = {
      {"merge", [&] { return formats::Merge{reader_of(changed), {}, OnMatch::update, OnNoMatch::insert}; }},
      {"update",
       [] {
         return formats::UpdateWhere{cp::greater_equal(cp::field_ref("id"), cp::literal(std::int64_t{0})),
                                     {{"amount", cp::literal(std::int64_t{6})}}};
       }},
      {"delete",
       [&] {
         std::vector<cp::Expression> one_per_file;
         for (const auto& event : changed) one_per_file.push_back(cp::equal(cp::field_ref("id"), cp::literal(event.id)));
         return formats::DeleteWhere{cp::or_(one_per_file)};
       }},
  };
  for (const auto& [what, change] : changes) {
    SCOPED_TRACE(what);
    failing->allowed = 3;
    auto refused = handle.prepare(change(), {IngestId::generate(), {}});
    failing->allowed = 1'000'000;
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::io) << refused.error().to_string();
    EXPECT_NE(refused.error().message().find("the test's storage"), std::string::npos) << refused.error().message();
    listed = failing->list("");
    ASSERT_TRUE(listed);
    std::set<std::string> after;
    for (const auto& object : *listed) after.insert(object.key);
    EXPECT_EQ(after, stored);
    EXPECT_EQ(rows(handle), before);
  }
  // And the same change goes through once the storage takes it.
  auto updated = commit(handle, formats::Merge{reader_of(changed), {}, OnMatch::update, OnNoMatch::insert});
  EXPECT_EQ(updated.rows_updated, 8);
}

TEST_P(TableFormatConformance, OptimizeCompactsSmallFilesAndVacuumDeletesWhatNoSnapshotNeeds) {
  for (int i = 0; i < 4; ++i) commit(*table, formats::Append{reader_of(events(i * 10, 10, "eu"))});
  commit(*table, formats::Append{reader_of(events(100, 10, "us"))});
  const auto before = rows(*table);
  auto optimized = table->optimize({});
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_EQ(optimized->files_removed, 4);  // the four small "eu" files; "us" has one
  EXPECT_EQ(optimized->files_added, 1);
  ASSERT_TRUE(table->refresh());
  EXPECT_EQ(rows(*table), before);
  EXPECT_EQ(table->plan_scan(std::nullopt)->files.size(), 2u);

  const auto stored = stored_keys();
  // A retention of zero: files removed before now (removals are stamped
  // in milliseconds, so let one pass).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto dry = table->vacuum({.retention = std::chrono::milliseconds(0), .allow_short_retention = true, .dry_run = true});
  ASSERT_TRUE(dry) << dry.error().to_string();
  EXPECT_GE(dry->files.size(), 4u) << "the compacted files at least";
  EXPECT_EQ(stored_keys(), stored);
  auto refused = table->vacuum({.retention = std::chrono::milliseconds(0)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);

  auto vacuumed = table->vacuum({.retention = std::chrono::milliseconds(0), .allow_short_retention = true});
  ASSERT_TRUE(vacuumed) << vacuumed.error().to_string();
  EXPECT_EQ(vacuumed->files, dry->files);
  for (const auto& key : vacuumed->files) EXPECT_FALSE(stored_keys().contains(key)) << key;
  EXPECT_EQ(rows(*open()), before);
}

TEST_P(TableFormatConformance, ClusteringOptimizeOrdersRowsAndLeavesClusteredFilesAlone) {
  // Amounts a permutation of the ids, so a sort by amount reorders rows.
  for (int i = 0; i < 4; ++i) {
    auto batch = events(i * 10, 10, "eu");
    for (auto& e : batch) e.amount = (e.id * 37) % 41;
    commit(*table, formats::Append{reader_of(batch)});
  }
  const auto before = rows(*table);
  auto sorted = table->optimize({.sort_by = {"amount"}});
  ASSERT_TRUE(sorted) << sorted.error().to_string();
  EXPECT_EQ(sorted->files_removed, 4);
  EXPECT_EQ(sorted->files_added, 1);
  ASSERT_TRUE(table->refresh());
  EXPECT_EQ(rows(*table), before);
  // The file's rows in the order stored.
  auto plan = table->plan_scan(std::nullopt);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->files.size(), 1u);
  auto stored = (*table->read(*plan, {.columns = {"amount"}}))->ToTable().ValueOrDie()->CombineChunksToBatch().ValueOrDie();
  const auto& amounts = static_cast<const arrow::Int64Array&>(*stored->column(0));
  ASSERT_EQ(amounts.length(), 40);
  for (std::int64_t i = 1; i < amounts.length(); ++i) EXPECT_LE(amounts.Value(i - 1), amounts.Value(i)) << i;

  // Files already clustered the same way are left alone; another
  // clustering, or a new file, rewrites the partition.
  auto again = table->optimize({.sort_by = {"amount"}});
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->files_removed, 0);
  EXPECT_EQ(again->version, -1);
  auto zordered = table->optimize({.zorder_by = {"amount", "id"}});
  ASSERT_TRUE(zordered) << zordered.error().to_string();
  EXPECT_EQ(zordered->files_removed, 1);
  EXPECT_EQ(table->optimize({.zorder_by = {"amount", "id"}})->files_removed, 0);
  commit(*table, formats::Append{reader_of(events(100, 5, "eu"))});
  auto with_new = table->optimize({.zorder_by = {"amount", "id"}});
  ASSERT_TRUE(with_new) << with_new.error().to_string();
  EXPECT_EQ(with_new->files_removed, 2);
  ASSERT_TRUE(table->refresh());
  EXPECT_EQ(rows(*table).size(), 45u);

  auto partition_column = table->optimize({.sort_by = {"region"}});
  ASSERT_FALSE(partition_column);
  EXPECT_EQ(partition_column.error().code(), ErrorCode::invalid_argument) << partition_column.error().to_string();
  auto unknown = table->optimize({.zorder_by = {"nope"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::schema_mismatch) << unknown.error().to_string();
  auto both = table->optimize({.zorder_by = {"id"}, .sort_by = {"amount"}});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code(), ErrorCode::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Formats, TableFormatConformance, ::testing::ValuesIn(kFormats),
                         [](const ::testing::TestParamInfo<FormatCase>& param) { return param.param.name; });

}  // namespace
