// ingest_id: every write's UUIDv7, threaded through rows, staging and logs.
//
//   example_ingest_id [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// Each write mints one ingest id (a UUIDv7: time-ordered, unique). It is
// stored in the system column _ingest_id of every row the write produced,
// stamped into members declared auto=ingestID, names the write's staging
// prefix _staging/<ingest id>/, and appears in log lines. So a batch can be
// found, counted, reconciled or undone by its id, and cleanup_staging can
// tell a leftover prefix's age from its name. An idempotency key makes a
// retried write apply once. The table is DATA_DIR/ingest_id/payments
// (append-only); each run adds its own batches and leaves them there.
#include <arrow/compute/expression.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <print>
#include <string>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

struct Payment {
  [[=lake::tag("payment_id,required")]]  std::string id;
  [[=lake::tag("account,required")]]     std::string account;
  [[=lake::tag("amount,validate=min=0")]] lake::decimal<12, 2> amount;
  // Stamped with the write's ingest id (the annotation spelling is
  // [[=lake::auto_ingest_id]]).
  [[=lake::tag("batch,auto=ingestID")]]  std::string batch{};
};

struct BatchCount {
  std::string batch;
  std::int64_t n = 0;
};

struct Count {
  std::int64_t n = 0;
};

}  // namespace app

namespace {

template <class T>
T check(lake::Result<T> result, const char* what) {
  if (!result) {
    std::println(stderr, "{} failed: {}", what, result.error().to_string());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

lake::decimal<12, 2> money(std::int64_t cents) { return lake::decimal<12, 2>::from_unscaled(cents); }

std::string minted(const lake::IngestId& id) {
  return lake::format_timestamp(std::chrono::time_point_cast<std::chrono::microseconds>(id.time()));
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  auto db = check(lake::local::open(dir, {.default_database = "ingest_id"}), "open");
  std::println("ingest_id: Delta tables under {}\n", std::filesystem::absolute(dir / "ingest_id").string());
  check(db.migrate<app::Payment>(), "migrate");

  // 1. Two batches, two writes, two ingest ids. Records are stamped in
  //    place, so the caller holds the id without asking for it.
  std::vector<app::Payment> morning{{.id = "p1", .account = "acc-1", .amount = money(10'00)},
                                    {.id = "p2", .account = "acc-2", .amount = money(25'50)},
                                    {.id = "p3", .account = "acc-1", .amount = money(7'25)}};
  std::vector<app::Payment> evening{{.id = "p4", .account = "acc-3", .amount = money(99'00)},
                                    {.id = "p5", .account = "acc-2", .amount = money(1'75)}};
  const auto first = check(db.insert(morning), "insert morning");
  const auto second = check(db.insert(evening), "insert evening");
  std::println("1. morning batch {} (minted {}), p1's batch member {}", first.ingest_id.to_string(),
               minted(first.ingest_id), morning.front().batch == first.ingest_id.to_string() ? "matches" : "differs");
  std::println("   evening batch {} (minted {}), sorts {} the morning one", second.ingest_id.to_string(),
               minted(second.ingest_id), second.ingest_id > first.ingest_id ? "after" : "before");

  // 2. Query by ingest id: each batch's rows share exactly one id, in the
  //    auto=ingestID member and in the system column alike.
  auto per_batch = check(lake::query<app::BatchCount>(db, R"(
      SELECT batch, count(*) AS n FROM payments
      WHERE batch IN (?, ?) AND _ingest_id = batch GROUP BY batch ORDER BY batch)",
                                                      first.ingest_id.to_string(), second.ingest_id.to_string()),
                         "per batch");
  std::println("2. rows per ingest id (batch = _ingest_id):");
  for (const auto& b : per_batch) std::println("     {} {} row(s)", b.batch, b.n);

  // 3. Reconciliation: the evening batch turned out to be bad; remove
  //    exactly its rows, by id, with a typed predicate (no SQL text).
  namespace cp = arrow::compute;
  auto undone = check(db.delete_where<app::Payment>(cp::equal(cp::field_ref("batch"),
                                                              cp::literal(second.ingest_id.to_string()))),
                      "delete batch");
  std::println("3. removed the evening batch: {} row(s) deleted", undone.rows_deleted);

  // 4. Retry safety: a write retried with the same idempotency key (say,
  //    after a timeout that hid its success) is applied once. The key must
  //    outlive retries but not runs, so it is derived from this run's job id.
  const std::string key = "payments-import-" + lake::IngestId::generate().to_string();
  std::vector<app::Payment> late{{.id = "p6", .account = "acc-4", .amount = money(12'00)}};
  auto applied = check(db.insert(late, {.idempotency_key = key}), "insert with key");
  auto retried = check(db.insert(late, {.idempotency_key = key}), "retry with key");
  auto landed = check(lake::query_first<app::Count>(db, "SELECT count(*) AS n FROM payments WHERE batch = ?",
                                                    applied.ingest_id.to_string()),
                      "count");
  std::println("4. first attempt committed: {}; retry skipped as duplicate: {}; rows landed: {}", applied.committed,
               retried.skipped_as_duplicate, landed.n);

  // 5. Staging prefixes are named by ingest id, so one left by a crashed
  //    writer is recognised as old from its name alone.
  auto cleanup = check(db.cleanup_staging(std::chrono::hours(24)), "cleanup_staging");
  std::println("5. cleanup_staging: {} staging prefix(es) scanned, {} older than 24h removed", cleanup.scanned,
               cleanup.deleted.size());
  return 0;
}
