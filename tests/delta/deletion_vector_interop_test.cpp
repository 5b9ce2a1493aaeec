// Tables Spark wrote with deletion vectors (label `interop`): Spark 4.2 +
// Delta 4.4 turn them on, and a DELETE then commits, for every file it
// touches, the file again with a vector and the file without one removed.
// lake-orm does not read deletion vectors yet, so it must refuse these
// tables with ErrorCode::unsupported, through the Delta implementation and
// through the SQL engine a service or the CLI uses, and never read them as
// empty or short. Covered: a DELETE's vectors, a file whose vector a second
// DELETE replaced, and the same state restated by checkpoints.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include <lake/delta/table.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "delta/log_replay.hpp"
#include "peer_support.hpp"

namespace {

using lake::delta::testing::run_peer;
using lake::delta::testing::TempDir;
namespace fs = std::filesystem;
using namespace lake;

struct Count {
  std::int64_t n;
};

class DeletionVectorInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("dv-interop");
    written_ = run_peer("spark_delta.py", {"write-deletion-vectors", dir_->path.string(),
                                           (dir_->path / "view.json").string()}) == 0;
    if (written_) view_ = nlohmann::json::parse(std::ifstream(dir_->path / "view.json"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(written_) << "Spark could not write the tables"; }

  static void expect_refused(const std::string& name) {
    SCOPED_TRACE(name);
    ASSERT_GT(view_[name]["vector_adds"].get<int>(), 0) << "Spark used no deletion vector";
    auto backend = file_backend(dir_->path);
    ASSERT_TRUE(backend) << backend.error().to_string();
    std::shared_ptr<Backend> shared = std::move(*backend);

    // The log replay keeps every file (each with its vector); the rows it
    // accounts for are the ones Spark reads.
    auto listing = delta::list_log(*shared, name);
    ASSERT_TRUE(listing) << listing.error().to_string();
    auto snapshot = delta::LogReplay{}.build(*shared, name, *listing, std::nullopt);
    ASSERT_TRUE(snapshot) << snapshot.error().to_string();
    EXPECT_FALSE(snapshot->files().empty());
    EXPECT_EQ(snapshot->num_records(), view_[name]["rows"].get<std::int64_t>());

    auto table = delta::Table::open(shared, name);
    ASSERT_FALSE(table) << "opened a table with deletion vectors";
    EXPECT_EQ(table.error().code(), ErrorCode::unsupported) << table.error().to_string();
    EXPECT_NE(table.error().message().find("deletion vector"), std::string::npos) << table.error().message();

    // What `lakeorm sql "SELECT count(*) FROM t"` does.
    auto db = lake::local::open(dir_->path);
    ASSERT_TRUE(db) << db.error().to_string();
    auto counted = lake::query<Count>(*db, std::format("SELECT count(*) AS n FROM {}", name));
    ASSERT_FALSE(counted) << "counted " << (*counted)[0].n << " rows of a table with deletion vectors";
    EXPECT_EQ(counted.error().code(), ErrorCode::unsupported) << counted.error().to_string();
  }

  static inline TempDir* dir_ = nullptr;
  static inline bool written_ = false;
  static inline nlohmann::json view_;
};

// One test, so that Spark (a JVM, about a minute here) runs once.
TEST_F(DeletionVectorInterop, SparksTablesWithDeletionVectorsAreRefusedNeverReadShort) {
  expect_refused("deleted");
  expect_refused("redeleted");  // files whose vector a second DELETE replaced
  ASSERT_FALSE(view_["checkpointed"]["checkpoints"].empty());
  expect_refused("checkpointed");
}

}  // namespace
