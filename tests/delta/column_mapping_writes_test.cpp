// Column mapping on the write side: a table created with it names every
// field by a physical name and id, and its data files, partition values
// and stats use them (Parquet field ids too); renames and drops commit
// only a schema, so files written before read on under the new names;
// turning mapping on for an existing table keeps its files (their names
// become the physical names) and upgrades the protocol; a rename racing a
// write conflicts. (Spark, delta-rs and DuckDB reading such tables:
// spark_features_interop_test.)
#include <arrow/compute/api.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <format>
#include <functional>
#include <span>
#include <set>

#include <nlohmann/json.hpp>

#include "delta/column_mapping.hpp"
#include "delta/log_replay.hpp"
#include "delta/table_writer.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
namespace cp = arrow::compute;

struct Address {
  std::string city;
  std::int32_t zip = 0;
};

struct [[=lake::table("customers"), =lake::partition_by("region")]] Customer {
  [[=lake::pk]] std::int64_t id = 0;
  std::string name;
  std::string region;
  Address address;
  std::optional<double> score;
};

// The same table after renaming name, region and dropping score.
struct [[=lake::table("customers"), =lake::partition_by("area")]] Renamed {
  [[=lake::pk]] std::int64_t id = 0;
  std::string full_name;
  std::string area;
  Address address;
};

// Plain after its name column was renamed label and score dropped, and
// after a new name column was added.
struct Labeled {
  [[=lake::pk]] std::int64_t id = 0;
  std::string label;
};
struct Relabeled {
  [[=lake::pk]] std::int64_t id = 0;
  std::string label;
  std::optional<std::string> name;
};

std::vector<Customer> customers(std::int64_t from, std::int64_t count) {
  std::vector<Customer> rows;
  for (std::int64_t id = from; id < from + count; ++id)
    rows.push_back({.id = id,
                    .name = std::format("customer {}", id),
                    .region = id % 2 ? "north" : "south",
                    .address = {.city = std::format("city {}", id % 7), .zip = static_cast<std::int32_t>(1000 + id)},
                    .score = id % 3 ? std::optional<double>(id * 0.5) : std::nullopt});
  return rows;
}

Renamed renamed(const Customer& c) { return {.id = c.id, .full_name = c.name, .area = c.region, .address = c.address}; }

bool same(const std::vector<Renamed>& a, const std::vector<Renamed>& b) {
  return std::ranges::equal(a, b, [](const Renamed& x, const Renamed& y) {
    return x.id == y.id && x.full_name == y.full_name && x.area == y.area && x.address.city == y.address.city &&
           x.address.zip == y.address.zip;
  });
}

const CreateOptions kMapped{.properties = {{"delta.columnMapping.mode", "name"}}};

// The Parquet schema of a data file, as written.
std::shared_ptr<arrow::Schema> file_schema(Backend& backend, const Table& table, const Add& add) {
  auto key = table.key_of(add);
  EXPECT_TRUE(key) << key.error().to_string();
  auto bytes = backend.get(*key);
  EXPECT_TRUE(bytes) << bytes.error().to_string();
  auto buffer = std::make_shared<arrow::Buffer>(reinterpret_cast<const std::uint8_t*>(bytes->data()),
                                                static_cast<std::int64_t>(bytes->size()));
  auto reader = parquet::arrow::OpenFile(std::make_shared<arrow::io::BufferReader>(buffer), arrow::default_memory_pool());
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::shared_ptr<arrow::Schema> schema;
  EXPECT_TRUE((*reader)->GetSchema(&schema).ok());
  return schema;
}

class ColumnMappingWrites : public ::testing::Test {
 protected:
  std::shared_ptr<Backend> backend_ = memory_backend();
};

TEST_F(ColumnMappingWrites, ANewTableWritesPhysicalNamesIdsAndStats) {
  auto table = Table::create(backend_, "t", schema_of<Customer>(), kMapped);
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(table->snapshot().protocol(), (Protocol{3, 7, {"columnMapping"}, {"appendOnly", "invariants", "columnMapping"}}));
  const auto& configuration = table->snapshot().metadata().configuration;
  // id, name, region, address (city, zip), score, _ingest_id? (none here): every field has an id.
  auto schema = nlohmann::json::parse(table->snapshot().metadata().schema_string);
  std::set<std::int64_t> ids;
  std::map<std::string, std::string> physical;
  for (const auto& field : schema["fields"]) {
    const auto& metadata = field["metadata"];
    ASSERT_TRUE(metadata.contains(std::string(kPhysicalName))) << field.dump();
    physical[field["name"]] = metadata[std::string(kPhysicalName)];
    EXPECT_TRUE(physical[field["name"]].starts_with("col-")) << field.dump();
    ids.insert(metadata[std::string(kColumnMappingId)].get<std::int64_t>());
    if (field["name"] == "address")
      for (const auto& nested : field["type"]["fields"]) ids.insert(nested["metadata"][std::string(kColumnMappingId)].get<std::int64_t>());
  }
  EXPECT_EQ(ids.size(), schema["fields"].size() + 2);
  EXPECT_EQ(configuration.at(std::string(kColumnMappingMaxId)), std::to_string(*ids.rbegin()));

  const auto rows = customers(0, 100);
  ASSERT_TRUE(table->append(batch_of(rows)));
  for (const auto& [key, add] : table->snapshot().files()) {
    // Partition values and stats by physical name; files under random
    // prefixes (as Spark writes mapped tables), not column=value directories.
    EXPECT_TRUE(add.partition_values.contains(physical["region"])) << add.path;
    EXPECT_FALSE(add.partition_values.contains("region"));
    EXPECT_EQ(add.path.find('='), std::string::npos) << add.path;
    EXPECT_EQ(add.path.find('/'), 2u) << add.path;
    auto stats = nlohmann::json::parse(add.stats.value());
    EXPECT_TRUE(stats["minValues"].contains(physical["id"])) << *add.stats;
    EXPECT_FALSE(stats["minValues"].contains("id")) << *add.stats;
    // The file: physical names, field ids.
    auto written = file_schema(*backend_, *table, add);
    ASSERT_NE(written, nullptr);
    EXPECT_EQ(written->GetFieldIndex("name"), -1) << written->ToString();
    auto name = written->GetFieldByName(physical["name"]);
    ASSERT_NE(name, nullptr) << written->ToString();
    ASSERT_TRUE(name->HasMetadata());
    EXPECT_TRUE(name->metadata()->Contains("PARQUET:field_id")) << written->ToString(true);
  }
  auto read = read_all<Customer>(*table);
  ASSERT_EQ(read.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(read[i].address.city, rows[i].address.city);
  // Filters skip by the physical stats and partition values.
  auto some = read_all<Customer>(*table, {.filter = cp::and_(cp::equal(cp::field_ref("region"), cp::literal("north")),
                                                             cp::less(cp::field_ref("id"), cp::literal(int64_t{10})))});
  EXPECT_EQ(some.size(), 5u);
}

TEST_F(ColumnMappingWrites, RenamesAndDropsChangeOnlyTheSchema) {
  auto table = Table::create(backend_, "t", schema_of<Customer>(), kMapped);
  ASSERT_TRUE(table) << table.error().to_string();
  ASSERT_TRUE(table->append(batch_of(customers(0, 60))));
  const auto objects = data_objects(*backend_);

  for (auto [from, to] : {std::pair{"name", "full_name"}, std::pair{"region", "area"}}) {
    auto renamed_column = table->rename_column(from, to);
    ASSERT_TRUE(renamed_column) << renamed_column.error().to_string();
  }
  auto dropped = table->drop_column("score");
  ASSERT_TRUE(dropped) << dropped.error().to_string();
  EXPECT_EQ(data_objects(*backend_), objects) << "a rename or drop wrote a data file";
  EXPECT_EQ(table->snapshot().partition_columns(), std::vector<std::string>{"area"});
  EXPECT_EQ(table->snapshot().metadata().configuration.at("lake.primaryKeys"), "id");

  std::vector<Renamed> expected;
  for (const auto& c : customers(0, 60)) expected.push_back(renamed(c));
  EXPECT_TRUE(same(read_all<Renamed>(*table), expected));

  // Writes after the rename: rows in the new shape, a delete and an update
  // through the renamed columns, a merge on the key.
  std::vector<Renamed> more;
  for (const auto& c : customers(60, 20)) more.push_back(renamed(c));
  ASSERT_TRUE(table->append(batch_of(more)));
  expected.insert(expected.end(), more.begin(), more.end());
  auto deleted = table->delete_where(cp::equal(cp::field_ref("area"), cp::literal("north")));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 40);
  std::erase_if(expected, [](const Renamed& r) { return r.area == "north"; });
  auto updated = table->update_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{10})),
                                     {{"full_name", cp::literal("vip")}});
  ASSERT_TRUE(updated) << updated.error().to_string();
  for (auto& r : expected)
    if (r.id < 10) r.full_name = "vip";
  auto source = arrow::RecordBatchReader::Make({batch_of(std::vector<Renamed>{
      {.id = 2, .full_name = "merged", .area = "south", .address = {.city = "x", .zip = 1}}})});
  auto merged = table->merge(**source, {.keys = {"id"}});
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ(merged->rows_updated, 1);
  for (auto& r : expected)
    if (r.id == 2) r = {.id = 2, .full_name = "merged", .area = "south", .address = {.city = "x", .zip = 1}};
  EXPECT_TRUE(same(read_all<Renamed>(*table), expected));
  auto reopened = Table::open(backend_, "t");
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(same(read_all<Renamed>(*reopened), expected));

  // Refused, with nothing committed: an unknown column, a name taken, a
  // partition or key column dropped.
  const auto version = table->version();
  EXPECT_EQ(table->rename_column("nope", "x").error().code(), ErrorCode::schema_mismatch);
  EXPECT_EQ(table->rename_column("full_name", "ID").error().code(), ErrorCode::schema_mismatch);
  EXPECT_EQ(table->drop_column("area").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(table->drop_column("id").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(table->version(), version);
}

TEST_F(ColumnMappingWrites, EnablingItOnATableKeepsItsFilesAndUpgradesTheProtocol) {
  auto table = Table::create(backend_, "t", schema_of<Plain>());
  ASSERT_TRUE(table) << table.error().to_string();
  std::vector<Plain> rows;
  for (std::int64_t id = 0; id < 30; ++id) rows.push_back({.id = id, .name = std::format("n{}", id), .score = 1.5});
  ASSERT_TRUE(table->append(batch_of(rows)));
  auto refused = table->rename_column("name", "label");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::unsupported);
  EXPECT_NE(refused.error().message().find("enable"), std::string::npos) << refused.error().message();

  auto enabled = table->enable_column_mapping();
  ASSERT_TRUE(enabled) << enabled.error().to_string();
  EXPECT_EQ(table->snapshot().protocol(),
            (Protocol{3, 7, {"columnMapping"}, {"appendOnly", "invariants", "columnMapping"}}));
  auto schema = nlohmann::json::parse(table->snapshot().metadata().schema_string);
  for (const auto& field : schema["fields"])
    EXPECT_EQ(field["metadata"][std::string(kPhysicalName)], field["name"]) << "existing files name it so";
  auto history = table->history(1);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->front().operation, "SET TBLPROPERTIES");
  EXPECT_EQ(table->enable_column_mapping().error().code(), ErrorCode::invalid_argument) << "already on";

  ASSERT_TRUE(table->rename_column("name", "label"));
  ASSERT_TRUE(table->drop_column("score"));
  auto read = read_all<Labeled>(*table);
  ASSERT_EQ(read.size(), 30u);
  EXPECT_EQ(read[7].label, "n7");
  // A new column gets a fresh physical name and the next id.
  Field name;
  name.column = "name";
  name.type = DataType(TypeId::string);
  name.nullable = true;
  ASSERT_TRUE(table->add_columns({name}));
  auto after = nlohmann::json::parse(table->snapshot().metadata().schema_string);
  const auto& added = after["fields"].back();
  EXPECT_EQ(added["name"], "name");
  EXPECT_NE(added["metadata"][std::string(kPhysicalName)], "name") << "it would read the old column's values";
  // (id, name, score and _ingest_id had 1 to 4)
  EXPECT_EQ(table->snapshot().metadata().configuration.at(std::string(kColumnMappingMaxId)), "5");
  auto again = read_all<Relabeled>(*table);
  ASSERT_EQ(again.size(), 30u);
  EXPECT_FALSE(again[3].name.has_value()) << "the dropped column's values came back";
}

TEST_F(ColumnMappingWrites, IdModeTablesWriteAndReadByFieldId) {
  auto table = Table::create(backend_, "t", schema_of<Customer>(),
                             {.properties = {{"delta.columnMapping.mode", "id"}}});
  ASSERT_TRUE(table) << table.error().to_string();
  ASSERT_TRUE(table->append(batch_of(customers(0, 20))));
  ASSERT_TRUE(table->rename_column("name", "full_name"));
  ASSERT_TRUE(table->rename_column("region", "area"));
  ASSERT_TRUE(table->drop_column("score"));
  std::vector<Renamed> expected;
  for (const auto& c : customers(0, 20)) expected.push_back(renamed(c));
  EXPECT_TRUE(same(read_all<Renamed>(*table), expected));

  // In id mode a file is read by its field ids alone, nested fields too:
  // the same file with every field under another name reads the same.
  ASSERT_EQ(table->snapshot().files().size(), 2u);  // a partition each
  for (const auto& [key, add] : table->snapshot().files()) {
    auto object = table->key_of(add);
    ASSERT_TRUE(object) << object.error().to_string();
    auto bytes = backend_->get(*object);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    auto buffer = std::make_shared<arrow::Buffer>(reinterpret_cast<const std::uint8_t*>(bytes->data()),
                                                  static_cast<std::int64_t>(bytes->size()));
    auto reader = parquet::arrow::OpenFile(std::make_shared<arrow::io::BufferReader>(buffer), arrow::default_memory_pool());
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto read = (*reader)->ReadTable();
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    const std::shared_ptr<arrow::Table>& rows = *read;
    std::function<std::shared_ptr<arrow::Field>(const std::shared_ptr<arrow::Field>&)> elsewhere =
        [&](const std::shared_ptr<arrow::Field>& field) {
          auto type = field->type();
          if (type->id() == arrow::Type::STRUCT) {
            arrow::FieldVector children;
            for (const auto& child : type->fields()) children.push_back(elsewhere(child));
            type = arrow::struct_(children);
          }
          return arrow::field("other_" + field->name(), type, field->nullable(), field->metadata());
        };
    arrow::FieldVector fields;
    arrow::ChunkedArrayVector columns;
    for (int i = 0; i < rows->num_columns(); ++i) {
      fields.push_back(elsewhere(rows->schema()->field(i)));
      arrow::ArrayVector chunks;
      for (const auto& chunk : rows->column(i)->chunks()) {
        auto data = chunk->data()->Copy();
        data->type = fields.back()->type();
        chunks.push_back(arrow::MakeArray(data));
      }
      columns.push_back(std::make_shared<arrow::ChunkedArray>(chunks, fields.back()->type()));
    }
    auto moved = arrow::Table::Make(arrow::schema(fields), columns);
    auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
    ASSERT_TRUE(parquet::arrow::WriteTable(*moved, arrow::default_memory_pool(), sink, 1024).ok());
    auto written = sink->Finish().ValueOrDie();
    ASSERT_TRUE(backend_->put(*object, std::as_bytes(std::span(written->data(), static_cast<std::size_t>(written->size()))),
                              PutMode::overwrite));
    const auto renamed_fields = file_schema(*backend_, *table, add)->field_names();
    EXPECT_TRUE(std::ranges::all_of(renamed_fields, [](const std::string& n) { return n.starts_with("other_"); }));
  }
  EXPECT_TRUE(same(read_all<Renamed>(*table), expected)) << "fields were matched by name, not by id";
}

// A rename commits a new schema: a write planned against the old one that
// loses the race to it conflicts rather than committing files described
// by a schema that changed under it.
TEST_F(ColumnMappingWrites, ARenameRacingAWriteConflicts) {
  auto table = Table::create(backend_, "t", schema_of<Customer>(), kMapped);
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->append(batch_of(customers(0, 10))));
  auto writer = Table::open(backend_, "t");
  ASSERT_TRUE(writer);
  auto prepared = writer->prepare_delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{3})));
  ASSERT_TRUE(prepared) << prepared.error().to_string();
  ASSERT_TRUE(table->rename_column("name", "full_name"));
  auto lost = prepared->commit();
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::conflict);
  ASSERT_NE(lost.error().detail<ConflictDetail>(), nullptr);
  EXPECT_EQ(lost.error().detail<ConflictDetail>()->kind(), ConflictDetail::Kind::metadata_changed);
  auto append = writer->append(batch_of(customers(10, 5)));
  ASSERT_FALSE(append) << "an append in the old shape committed after the rename";
  EXPECT_EQ(append.error().code(), ErrorCode::conflict);
  ASSERT_TRUE(table->refresh());
  EXPECT_EQ(table->snapshot().num_records(), 10);
}

}  // namespace
