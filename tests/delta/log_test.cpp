// Delta log protocol: action JSON, schema strings, log replay and the
// reader/writer feature checks, over the memory backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <format>
#include <tuple>

#include <lake/delta/actions.hpp>
#include <lake/delta/snapshot.hpp>
#include <lake/schema/reflect.hpp>

#include <arrow/json/from_string.h>
#include <nlohmann/json.hpp>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include "delta/log_replay.hpp"
#include "delta/schema_json.hpp"
#include "lake/delta/table.hpp"
#include "lake/storage/arrow_io.hpp"
#include "support/forwarding_backend.hpp"

namespace {

using namespace lake;
using namespace lake::delta;

struct Point {
  double x = 0;
  std::optional<double> y;
};
struct Row {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::optional<lake::decimal<10, 2>> amount;
  std::vector<std::string> tags;
  std::map<std::string, std::int32_t> counts;
  Point where;
  lake::timestamp at;
  lake::date day;
};

TEST(DeltaActions, RoundTripThroughJson) {
  std::vector<Action> actions{
      Protocol{1, 2, {}, {}},
      Metadata{"5f1c8f6e-0000-4000-8000-000000000001", "t", std::nullopt, "{}", {"day"}, {{"k", "v"}}, 1700000000000},
      Add{"day=2026-11-21/part-0.parquet", {{"day", "2026-11-21"}}, 123, 1700000000001, true,
          R"({"numRecords":3})", {}, std::nullopt},
      Add{"day=__HIVE_DEFAULT_PARTITION__/part-1.parquet", {{"day", std::nullopt}}, 1, 2, true, std::nullopt, {}, std::nullopt},
      Remove{"old.parquet", 1700000000002, true, true, {{"day", "2026-11-20"}}, 99},
      Txn{"app", 7, 1700000000003},
  };
  auto text = to_commit_text(actions);
  EXPECT_EQ(std::ranges::count(text, '\n'), 6);
  auto parsed = parse_commit_text(text, "test");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), actions.size());
  for (std::size_t i = 0; i < actions.size(); ++i) EXPECT_EQ((*parsed)[i], actions[i]) << "action " << i;
}

TEST(DeltaActions, UnknownActionsAreSkippedDomainsKeptAndDeletionVectorsNoted) {
  std::string text =
      R"({"cdc":{"path":"x","partitionValues":{},"size":1,"dataChange":false}})" "\n"
      R"({"domainMetadata":{"domain":"d","configuration":"{}","removed":false}})" "\n"
      R"({"add":{"path":"a.parquet","partitionValues":{},"size":5,"modificationTime":1,"dataChange":true,)"
      R"("deletionVector":{"storageType":"u","pathOrInlineDv":"x","offset":1,"sizeInBytes":4,"cardinality":1}}})" "\n";
  auto parsed = parse_commit_text(text, "test");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(std::get<DomainMetadata>((*parsed)[0]), (DomainMetadata{"d", "{}", false}));
  const auto& dv = std::get<Add>((*parsed)[1]).deletion_vector;
  ASSERT_TRUE(dv.has_value());
  EXPECT_EQ(dv->unique_id(), "ux@1");
  EXPECT_EQ(dv->cardinality, 1);
}

TEST(DeltaActions, MalformedLinesAreErrorsNamingTheFile) {
  auto bad = parse_commit_text("{\"add\":{\"path\":5}}\n", "_delta_log/00000000000000000003.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("00000000000000000003.json"), std::string::npos);
  EXPECT_FALSE(parse_commit_text("not json\n", "f"));
}

TEST(DeltaActions, PathEncoding) {
  EXPECT_EQ(encode_path("country=GB/part-0.parquet"), "country=GB/part-0.parquet");
  EXPECT_EQ(encode_path("name=a b%c/x.parquet"), "name=a%20b%25c/x.parquet");
  EXPECT_EQ(*decode_path("name=a%20b%25c/x.parquet"), "name=a b%c/x.parquet");
  EXPECT_FALSE(decode_path("bad%2"));
}

TEST(DeltaSchema, SchemaStringRoundTripsEveryType) {
  const auto& schema = lake::schema_of<Row>();
  auto text = to_schema_string(schema);
  EXPECT_NE(text.find(R"x("type":"decimal(10,2)")x"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("containsNull":false)"), std::string::npos) << text;
  auto fields = parse_schema_string(text);
  ASSERT_TRUE(fields) << fields.error().to_string();
  ASSERT_EQ(fields->size(), schema.fields.size() + 1);
  for (std::size_t i = 0; i < schema.fields.size(); ++i) {
    EXPECT_EQ((*fields)[i].column, schema.fields[i].column);
    EXPECT_EQ((*fields)[i].type, schema.fields[i].type) << schema.fields[i].column;
    EXPECT_EQ((*fields)[i].nullable, schema.fields[i].nullable) << schema.fields[i].column;
  }
  EXPECT_EQ(fields->back().column, "_ingest_id");
}

TEST(DeltaSchema, UnsupportedTypesAreNamed) {
  auto ntz = parse_schema_string(
      R"({"type":"struct","fields":[{"name":"t","type":"timestamp_ntz","nullable":true,"metadata":{}}]})");
  ASSERT_TRUE(ntz) << ntz.error().to_string();
  EXPECT_EQ(ntz->front().type.id, lake::TypeId::timestamp_ntz);
  auto variant = parse_schema_string(
      R"({"type":"struct","fields":[{"name":"v","type":"variant","nullable":true,"metadata":{}}]})");
  ASSERT_FALSE(variant);
  EXPECT_EQ(variant.error().code(), ErrorCode::unsupported);
  EXPECT_NE(variant.error().message().find("variant"), std::string::npos);
}

Metadata table_metadata() {
  return Metadata{"5f1c8f6e-0000-4000-8000-000000000001", std::nullopt, std::nullopt,
                  to_schema_string(lake::schema_of<Row>()), {}, {}, 0};
}

void commit(Backend& backend, std::int64_t version, const std::vector<Action>& actions) {
  ASSERT_TRUE(backend.put_text(commit_key("t", version), to_commit_text(actions), PutMode::create));
}

Add add(std::string path, std::int64_t records) {
  return Add{std::move(path), {}, 10, 0, true, std::format(R"({{"numRecords":{}}})", records), {}, std::nullopt};
}

TEST(DeltaReplay, AddsRemovesTxnsAndTimeTravel) {
  auto backend = memory_backend();
  commit(*backend, 0, {Protocol{}, table_metadata(), add("a", 1)});
  commit(*backend, 1, {add("b", 2), Txn{"app", 3, std::nullopt}});
  commit(*backend, 2, {Remove{"a", 5, true, false, {}, std::nullopt}, add("c", 4)});
  auto listing = list_log(*backend, "t");
  ASSERT_TRUE(listing);
  auto latest = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_TRUE(latest) << latest.error().to_string();
  EXPECT_EQ(latest->version(), 2);
  EXPECT_EQ(latest->files().size(), 2u);
  EXPECT_TRUE(latest->files().contains(LogicalFileKey{"b"}));
  EXPECT_TRUE(latest->tombstones().contains(LogicalFileKey{"a"}));
  EXPECT_EQ(latest->num_records(), 6);
  EXPECT_EQ(latest->app_version("app"), 3);
  EXPECT_EQ(latest->columns().back().column, "_ingest_id");
  auto v0 = LogReplay{}.build(*backend, "t", *listing, 0);
  ASSERT_TRUE(v0);
  EXPECT_EQ(v0->files().size(), 1u);
  EXPECT_FALSE(v0->app_version("app"));
  auto v9 = LogReplay{}.build(*backend, "t", *listing, 9);
  ASSERT_FALSE(v9);
  EXPECT_EQ(v9.error().code(), ErrorCode::not_found);
}

// A directory listed while writers commit may miss a commit made during the
// listing and show a later one. Replay must not take that for a hole in
// the log (seen as "log entry 641 is missing (found 642 next)" under eight
// concurrent writers): the commit is looked up by its key.
class ListingMissesOneCommit final : public lake::testing::ForwardingBackend {
 public:
  ListingMissesOneCommit(std::unique_ptr<Backend> inner, std::string hidden)
      : ForwardingBackend(std::move(inner)), hidden_(std::move(hidden)) {}
  using Backend::list;
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override {
    auto objects = ForwardingBackend::list(prefix, start_after);
    if (objects) std::erase_if(*objects, [&](const ObjectInfo& o) { return o.key == hidden_; });
    return objects;
  }

 private:
  std::string hidden_;
};

TEST(DeltaReplay, ACommitTheListingMissedIsReadByItsKey) {
  auto inner = memory_backend();
  commit(*inner, 0, {Protocol{}, table_metadata(), add("a", 1)});
  commit(*inner, 1, {add("b", 2)});
  commit(*inner, 2, {add("c", 4)});
  ListingMissesOneCommit backend(std::move(inner), commit_key("t", 1));
  for (auto listing : {list_log(backend, "t"), list_log_from(backend, "t", 1)}) {
    ASSERT_TRUE(listing) << listing.error().to_string();
    ASSERT_EQ(listing->commits.back().version, 2);
    EXPECT_TRUE(std::ranges::contains(listing->commits, 1, &CommitFile::version));
  }
  auto snapshot = LogReplay{}.build(backend, "t", *list_log(backend, "t"), std::nullopt);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  EXPECT_EQ(snapshot->num_records(), 7);

  // A commit that really is not there is still a hole.
  ASSERT_TRUE(backend.remove(commit_key("t", 1)));
  auto holed = LogReplay{}.build(backend, "t", *list_log(backend, "t"), std::nullopt);
  ASSERT_FALSE(holed);
  EXPECT_NE(holed.error().message().find("log entry 1 is missing"), std::string::npos) << holed.error().message();
}

TEST(DeltaReplay, MissingLogEntryIsDetected) {
  auto backend = memory_backend();
  commit(*backend, 0, {Protocol{}, table_metadata()});
  commit(*backend, 2, {add("b", 2)});
  auto listing = list_log(*backend, "t");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_FALSE(snapshot);
  EXPECT_NE(snapshot.error().message().find("log entry 1 is missing"), std::string::npos)
      << snapshot.error().message();
}

TEST(DeltaReplay, NoTableIsNotFound) {
  auto backend = memory_backend();
  auto listing = list_log(*backend, "nothing");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(*backend, "nothing", *listing, std::nullopt);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code(), ErrorCode::not_found);
}

TEST(DeltaFeatures, UnsupportedFeaturesAreRefusedByName) {
  // Column mapping: name and id modes are read and written; a mode the
  // protocol does not know is refused for reading and writing.
  for (const std::string mode : {"name", "id", "hash"}) {
    auto backend = memory_backend();
    Metadata mapped = table_metadata();
    mapped.configuration["delta.columnMapping.mode"] = mode;
    commit(*backend, 0, {Protocol{3, 7, {"columnMapping"}, {"columnMapping"}}, mapped});
    auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
    ASSERT_TRUE(snapshot);
    auto readable = snapshot->check_readable();
    EXPECT_EQ(readable.has_value(), mode != "hash") << mode;
    auto writable = snapshot->check_writable(false);
    EXPECT_EQ(writable.has_value(), mode != "hash") << mode;
    if (mode == "hash") {
      EXPECT_EQ(writable.error().code(), ErrorCode::unsupported);
      EXPECT_NE(writable.error().message().find("columnMapping"), std::string::npos) << writable.error().message();
      continue;
    }
    // A mapped schema whose fields lack physical names cannot be read.
    auto table = Table::open(std::shared_ptr<Backend>(std::move(backend)), "t");
    ASSERT_TRUE(table) << table.error().to_string();
    auto scan = table->scan();
    ASSERT_FALSE(scan) << mode;
    EXPECT_EQ(scan.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(scan.error().message().find("delta.columnMapping.physicalName"), std::string::npos) << scan.error().message();
  }

  // The legacy writer versions 3 to 5 are written while the table
  // declares none of what they add beyond column mapping.
  for (const auto& [property, value, refused] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"delta.appendOnly", "false", ""},
                                                                     {"delta.constraints.positive", "n > 0", "checkConstraints"},
                                                                     {"delta.enableChangeDataFeed", "true", "changeDataFeed"}}) {
    auto backend = memory_backend();
    Metadata legacy = table_metadata();
    legacy.configuration[property] = value;
    commit(*backend, 0, {Protocol{2, 5, {}, {}}, legacy});
    auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
    ASSERT_TRUE(snapshot);
    auto writable = snapshot->check_writable(false);
    EXPECT_EQ(writable.has_value(), refused.empty()) << property;
    if (!refused.empty()) {
      EXPECT_EQ(writable.error().code(), ErrorCode::unsupported);
      EXPECT_NE(writable.error().message().find(refused), std::string::npos) << writable.error().message();
    }
  }
  {
    auto backend = memory_backend();
    commit(*backend, 0, {Protocol{2, 6, {}, {}}, table_metadata()});
    auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
    ASSERT_TRUE(snapshot);
    EXPECT_FALSE(snapshot->check_writable(false)) << "writer version 6 (identity columns)";
  }

  auto other = memory_backend();
  commit(*other, 0, {Protocol{3, 7, {"someFutureFeature"}, {"someFutureFeature"}}, table_metadata()});
  auto s2 = LogReplay{}.build(*other, "t", *list_log(*other, "t"), std::nullopt);
  ASSERT_TRUE(s2);
  auto r2 = s2->check_readable();
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message().find("someFutureFeature"), std::string::npos);
}

TEST(DeltaFeatures, DeletionVectorTablesAreReadAndWritten) {
  // As another engine writes it (lake-orm's own changes rewrite files).
  auto backend = memory_backend();
  std::string text = to_commit_text({Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}}, table_metadata()}) +
                     R"({"add":{"path":"dv.parquet","partitionValues":{},"size":5,"modificationTime":1,)"
                     R"("dataChange":true,"deletionVector":{"storageType":"u","pathOrInlineDv":"ab",)"
                     R"("offset":1,"sizeInBytes":36,"cardinality":2}}})" "\n";
  ASSERT_TRUE(backend->put_text(commit_key("t", 0), text, PutMode::create));
  auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
  ASSERT_TRUE(snapshot);
  auto readable = snapshot->check_readable();
  EXPECT_TRUE(readable) << readable.error().to_string();
  auto writable = snapshot->check_writable(true);
  EXPECT_TRUE(writable) << writable.error().to_string();
  // A writer feature beside it that lake-orm does not honour still refuses writes.
  auto with_row_tracking = memory_backend();
  ASSERT_TRUE(with_row_tracking->put_text(
      commit_key("t", 0),
      to_commit_text({Protocol{3, 7, {"deletionVectors"}, {"deletionVectors", "identityColumns"}},
                      table_metadata()}),
      PutMode::create));
  auto tracked = LogReplay{}.build(*with_row_tracking, "t", *list_log(*with_row_tracking, "t"), std::nullopt);
  ASSERT_TRUE(tracked);
  EXPECT_TRUE(tracked->check_readable());
  auto refused = tracked->check_writable(false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::unsupported);
}

// In-commit timestamps move a version's time into its commitInfo: time
// travel and history use those, not the commit files' times (which here
// are all "now", long after the recorded ones).
TEST(DeltaFeatures, TimeTravelByTimestampUsesInCommitTimestamps) {
  auto backend = memory_backend();
  Metadata meta = table_metadata();
  meta.configuration["delta.enableInCommitTimestamps"] = "true";
  commit(*backend, 0, {CommitInfo{R"({"inCommitTimestamp":1000000})"}, Protocol{1, 7, {}, {"inCommitTimestamp"}}, meta});
  commit(*backend, 1, {CommitInfo{R"({"inCommitTimestamp":2000000})"}, add("a.parquet", 5)});
  commit(*backend, 2, {CommitInfo{R"({"inCommitTimestamp":3000000})"}, add("b.parquet", 5)});
  auto table = Table::open(std::shared_ptr<Backend>(std::move(backend)), "t");
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(table->snapshot().in_commit_timestamp(), 3000000);
  EXPECT_EQ(table->snapshot().committed_at(), timestamp(std::chrono::milliseconds(3000000)));
  auto ms = [](std::int64_t value) { return timestamp(std::chrono::milliseconds(value)); };
  auto by_time = table->snapshot_as_of(ms(2500000));
  ASSERT_TRUE(by_time) << by_time.error().to_string();
  EXPECT_EQ(by_time->version(), 1);
  EXPECT_EQ(table->snapshot_as_of(ms(2000000))->version(), 1);
  EXPECT_EQ(table->snapshot_as_of(ms(1999999))->version(), 0);
  EXPECT_FALSE(table->snapshot_as_of(ms(999999)));
  auto history = table->history();
  ASSERT_TRUE(history) << history.error().to_string();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(history->back().committed_at, ms(1000000));
}

// A table that records them from some version on: earlier versions keep
// their files' times (PROTOCOL.md "Recommendations for Readers").
TEST(DeltaFeatures, InCommitTimestampsFromTheirEnablementVersion) {
  auto backend = memory_backend();
  commit(*backend, 0, {Protocol{1, 2, {}, {}}, table_metadata()});
  Metadata meta = table_metadata();
  meta.configuration["delta.enableInCommitTimestamps"] = "true";
  meta.configuration["delta.inCommitTimestampEnablementVersion"] = "1";
  const auto far = std::chrono::duration_cast<std::chrono::milliseconds>(
                       (lake::now() + std::chrono::hours(24 * 365)).time_since_epoch()).count();
  commit(*backend, 1, {CommitInfo{std::format(R"({{"inCommitTimestamp":{}}})", far)},
                       Protocol{1, 7, {}, {"inCommitTimestamp"}}, meta});
  auto table = Table::open(std::shared_ptr<Backend>(std::move(backend)), "t");
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(table->snapshot_as_of(lake::now())->version(), 0) << "version 1 was recorded a year from now";
  EXPECT_EQ(table->snapshot_as_of(timestamp(std::chrono::milliseconds(far)))->version(), 1);
}

TEST(DeltaFeatures, AppendOnlyTablesRefuseRemovals) {
  auto backend = memory_backend();
  Metadata meta = table_metadata();
  meta.configuration["delta.appendOnly"] = "true";
  commit(*backend, 0, {Protocol{}, meta});
  auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
  ASSERT_TRUE(snapshot);
  EXPECT_TRUE(snapshot->check_writable(false));
  EXPECT_FALSE(snapshot->check_writable(true));
}

// ---- deletion vectors: a logical file is (path, deletion-vector id) ------

// The protocol's examples ("Deletion Vector Descriptor Schema").
DeletionVector on_disk(std::int64_t cardinality, std::int32_t offset = 4) {
  return DeletionVector{'u', "ab^-aqEH.-t@S}K{vb[*k^", offset, 40, cardinality};
}
DeletionVector inline_vector(std::int64_t cardinality) {
  return DeletionVector{'i', "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", std::nullopt, 40, cardinality};
}
Add with_vector(Add file, DeletionVector dv) {
  file.deletion_vector = std::move(dv);
  return file;
}
Remove removal(const Add& file) {
  return Remove{file.path, 5, true, false, {}, std::nullopt, file.deletion_vector};
}
Protocol dv_protocol() { return Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}}; }

Result<Snapshot> latest(Backend& backend) {
  auto listing = list_log(backend, "t");
  if (!listing) return std::unexpected(listing.error());
  return LogReplay{}.build(backend, "t", *listing, std::nullopt);
}

TEST(DeltaDeletionVectors, DescriptorsRoundTripAndNameTheirFiles) {
  const Add file = with_vector(add("a.parquet", 10), on_disk(6));
  auto parsed = parse_commit_text(to_commit_text({file, removal(file)}), "test");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(std::get<Add>((*parsed)[0]), file);
  EXPECT_EQ(std::get<Remove>((*parsed)[1]).deletion_vector, file.deletion_vector);

  EXPECT_EQ(on_disk(6).unique_id(), "uab^-aqEH.-t@S}K{vb[*k^@4");
  EXPECT_EQ(file.key(), (LogicalFileKey{"a.parquet", "uab^-aqEH.-t@S}K{vb[*k^@4"}));
  // The protocol's example: this vector lives at <table>/ab/deletion_vector_<uuid>.bin.
  EXPECT_EQ(on_disk(6).file_path(), "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
  DeletionVector no_prefix = on_disk(6);
  no_prefix.path_or_inline_dv = no_prefix.path_or_inline_dv.substr(2);
  EXPECT_EQ(no_prefix.file_path(), "deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
  EXPECT_EQ(inline_vector(6).unique_id(), "iwi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L");
  EXPECT_FALSE(inline_vector(6).file_path());
  EXPECT_EQ((DeletionVector{'p', "s3://t/dv.bin", 4, 40, 6}.file_path()), "s3://t/dv.bin");
  DeletionVector bad = on_disk(6);
  bad.path_or_inline_dv = "ab~~~~~~~~~~~~~~~~~~~~";
  EXPECT_FALSE(bad.file_path());

  auto wrong_type = parse_commit_text(
      R"({"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true,)"
      R"("deletionVector":{"storageType":"x","pathOrInlineDv":"y","sizeInBytes":1,"cardinality":1}}})",
      "00000000000000000001.json");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message().find("storageType 'x'"), std::string::npos) << wrong_type.error().message();
  auto incomplete = parse_commit_text(
      R"({"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true,)"
      R"("deletionVector":{"storageType":"u","pathOrInlineDv":"y"}}})",
      "00000000000000000001.json");
  ASSERT_FALSE(incomplete);
  EXPECT_NE(incomplete.error().message().find("sizeInBytes"), std::string::npos) << incomplete.error().message();
}

// What Spark's DELETE commits on a table with deletion vectors: the file
// again with a vector (add) and the file without one (remove). Keyed by
// path alone, the remove would cancel the add and the file's rows would
// silently vanish (a table read as empty).
TEST(DeltaDeletionVectors, ADeleteThatAddsAVectorKeepsTheFile) {
  for (bool remove_first : {false, true}) {
    auto backend = memory_backend();
    const Add a = add("a.parquet", 5), b = add("b.parquet", 5);
    commit(*backend, 0, {dv_protocol(), table_metadata(), a, b});
    const Add a_deleted = with_vector(a, on_disk(2));
    // Actions of one commit apply in any order.
    commit(*backend, 1, remove_first ? std::vector<Action>{removal(a), a_deleted}
                                     : std::vector<Action>{a_deleted, removal(a)});
    auto snapshot = latest(*backend);
    ASSERT_TRUE(snapshot) << snapshot.error().to_string();
    ASSERT_EQ(snapshot->files().size(), 2u) << "remove first: " << remove_first;
    EXPECT_TRUE(snapshot->files().contains(a_deleted.key()));
    EXPECT_TRUE(snapshot->files().contains(b.key()));
    EXPECT_TRUE(snapshot->tombstones().contains(a.key()));
    EXPECT_EQ(snapshot->num_records(), 8) << "the vector hides 2 of a's 5 rows";
    EXPECT_TRUE(snapshot->check_readable());
  }
}

TEST(DeltaDeletionVectors, AFileGivenANewVectorStaysOneFile) {
  auto backend = memory_backend();
  const Add a = add("a.parquet", 5);
  const Add first = with_vector(a, on_disk(1)), second = with_vector(a, on_disk(3, 44));
  commit(*backend, 0, {dv_protocol(), table_metadata(), a});
  commit(*backend, 1, {first, removal(a)});
  commit(*backend, 2, {second, removal(first)});
  auto snapshot = latest(*backend);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  ASSERT_EQ(snapshot->files().size(), 1u);
  EXPECT_EQ(snapshot->files().begin()->second, second);
  EXPECT_EQ(snapshot->tombstones().size(), 2u) << "(a, none) and (a, first vector)";
  EXPECT_EQ(snapshot->num_records(), 2);
  EXPECT_TRUE(snapshot->check_readable());

  // A remove naming a vector the live file does not have leaves it.
  commit(*backend, 3, {removal(first)});
  auto after = latest(*backend);
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_TRUE(after->files().contains(second.key()));
}

TEST(DeltaDeletionVectors, TwoLiveVectorsForOneFileAreAnInvalidLog) {
  auto backend = memory_backend();
  const Add a = add("a.parquet", 5);
  commit(*backend, 0, {dv_protocol(), table_metadata(), a});
  commit(*backend, 1, {with_vector(a, inline_vector(1))});  // no remove of (a, none)
  auto snapshot = latest(*backend);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(snapshot.error().message().find("live twice"), std::string::npos) << snapshot.error().message();
}

// A classic checkpoint as Spark writes it for such a table: one action per
// row, the add with its vector before the remove without one.
void write_checkpoint_by_hand(Backend& backend, std::int64_t version, const std::string& metadata_schema) {
  using arrow::field;
  auto map = arrow::map(arrow::utf8(), arrow::utf8());
  auto dv = arrow::struct_({field("storageType", arrow::utf8()), field("pathOrInlineDv", arrow::utf8()),
                            field("offset", arrow::int32()), field("sizeInBytes", arrow::int32()),
                            field("cardinality", arrow::int64())});
  auto add_type = arrow::struct_({field("path", arrow::utf8()), field("partitionValues", map),
                                  field("size", arrow::int64()), field("modificationTime", arrow::int64()),
                                  field("dataChange", arrow::boolean()), field("stats", arrow::utf8()),
                                  field("deletionVector", dv)});
  auto remove_type = arrow::struct_({field("path", arrow::utf8()), field("deletionTimestamp", arrow::int64()),
                                     field("dataChange", arrow::boolean()), field("deletionVector", dv)});
  auto metadata_type = arrow::struct_({field("id", arrow::utf8()), field("schemaString", arrow::utf8()),
                                       field("partitionColumns", arrow::list(arrow::utf8())),
                                       field("configuration", map)});
  auto protocol_type = arrow::struct_({field("minReaderVersion", arrow::int32()), field("minWriterVersion", arrow::int32()),
                                       field("readerFeatures", arrow::list(arrow::utf8())),
                                       field("writerFeatures", arrow::list(arrow::utf8()))});
  nlohmann::json schema_text = metadata_schema;
  const std::string rows[] = {
      R"([null, null, null, null, {"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}])",
      std::format(R"([null, null, null, {{"id":"5f1c8f6e-0000-4000-8000-000000000001","schemaString":{},"partitionColumns":[],"configuration":[]}}, null])",
                  schema_text.dump()),
      R"([{"path":"a.parquet","partitionValues":[],"size":10,"modificationTime":0,"dataChange":false,"stats":"{\"numRecords\":5}",)"
      R"("deletionVector":{"storageType":"u","pathOrInlineDv":"ab^-aqEH.-t@S}K{vb[*k^","offset":4,"sizeInBytes":40,"cardinality":2}}, null, null, null, null])",
      R"([{"path":"b.parquet","partitionValues":[],"size":10,"modificationTime":0,"dataChange":false,"stats":"{\"numRecords\":5}","deletionVector":null}, null, null, null, null])",
      R"([null, {"path":"a.parquet","deletionTimestamp":5,"dataChange":false,"deletionVector":null}, null, null, null])",
  };
  auto schema = arrow::schema({field("add", add_type), field("remove", remove_type), field("txn", arrow::null()),
                               field("metaData", metadata_type), field("protocol", protocol_type)});
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int c = 0; c < schema->num_fields(); ++c) {
    std::string column = "[";
    for (std::size_t r = 0; r < std::size(rows); ++r) {
      auto row = nlohmann::json::parse(rows[r]);
      column += (r ? "," : "") + row[static_cast<std::size_t>(c)].dump();
    }
    auto array = arrow::json::ArrayFromJSONString(schema->field(c)->type(), column + "]");
    ASSERT_TRUE(array.ok()) << array.status().ToString();
    columns.push_back(*array);
  }
  auto batch = arrow::RecordBatch::Make(schema, static_cast<std::int64_t>(std::size(rows)), columns);
  auto output = open_arrow_output(backend, std::format("t/_delta_log/{:020}.checkpoint.parquet", version), PutMode::create);
  ASSERT_TRUE(output);
  auto table = arrow::Table::FromRecordBatches({batch});
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE(parquet::arrow::WriteTable(**table, arrow::default_memory_pool(), *output, 1024).ok());
  ASSERT_TRUE((*output)->Close().ok());
}

TEST(DeltaDeletionVectors, ACheckpointHoldingVectorsReplaysTheSame) {
  auto backend = memory_backend();
  const Add a = add("a.parquet", 5), b = add("b.parquet", 5);
  commit(*backend, 0, {dv_protocol(), table_metadata(), a, b});
  commit(*backend, 1, {with_vector(a, on_disk(2)), removal(a)});
  write_checkpoint_by_hand(*backend, 1, table_metadata().schema_string);
  ASSERT_TRUE(backend->remove(commit_key("t", 0)));  // only the checkpoint tells v0 now
  commit(*backend, 2, {add("c.parquet", 1)});
  auto listing = list_log(*backend, "t");
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  auto snapshot = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  EXPECT_EQ(snapshot->files().size(), 3u);
  EXPECT_TRUE(snapshot->files().contains(with_vector(a, on_disk(2)).key()));
  EXPECT_EQ(snapshot->num_records(), 9);
  EXPECT_TRUE(snapshot->check_readable());
}

TEST(DeltaStats, NumRecordsIsTheStatsObjectsOwn) {
  EXPECT_EQ(records_in_stats(R"({"numRecords":3})"), 3);
  EXPECT_EQ(records_in_stats(R"({ "numRecords" : 12 , "minValues":{}})"), 12);
  // A column may be named numRecords; its bounds come first here.
  EXPECT_EQ(records_in_stats(R"({"minValues":{"numRecords":7,"s":"\"numRecords\":9"},"numRecords":4})"), 4);
  EXPECT_EQ(records_in_stats(R"({"minValues":{"numRecords":7}})"), std::nullopt);
  EXPECT_EQ(records_in_stats(R"({"numRecords":1.5})"), std::nullopt);
  EXPECT_EQ(records_in_stats(R"(["numRecords",3])"), std::nullopt);
  EXPECT_EQ(records_in_stats(std::nullopt), std::nullopt);
}

TEST(DeltaReplay, ALogWithoutAProtocolIsInvalid) {
  auto backend = memory_backend();
  commit(*backend, 0, {table_metadata(), add("a", 1)});
  auto snapshot = latest(*backend);
  ASSERT_FALSE(snapshot);
  EXPECT_NE(snapshot.error().message().find("no protocol action"), std::string::npos) << snapshot.error().message();
}

}  // namespace
