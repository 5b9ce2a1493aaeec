// Iceberg commits through a catalog: creating a table, and appending rows
// as one snapshot (a fast append).
//
// An append writes its data files and one manifest of "added" entries,
// which carry no snapshot id or sequence number: they inherit the numbers
// of whichever commit lists the manifest. So when the catalog reports that
// another commit got in first, nothing already written is redone: an
// append commutes with any other commit, and only the manifest list (the
// newer snapshot's manifests and ours) and the metadata file are written
// again on top of the newer snapshot, within the retry policy. Whatever a
// failed or abandoned attempt wrote is removed.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "iceberg/catalog.hpp"
#include "iceberg/data_files.hpp"
#include "lake/driver.hpp"

namespace lake::iceberg {

struct NewTable {
  Schema schema;
  PartitionSpec spec{};  // spec id 0; field ids from 1000
  std::map<std::string, std::string> properties{};
};

// Creates `table` (format version 2, no snapshot). ErrorCode::already_exists
// when it is there.
[[nodiscard]] Result<CurrentMetadata> create_table(Catalog& catalog, const std::string& table,
                                                   const NewTable& definition);

struct AppendOptions {
  std::map<std::string, std::string> summary{};  // extra snapshot summary entries (lake.ingest_id, ...)
  DataFileOptions files{};
  WriteRetryPolicy retry{};
};

// Appends `rows` to `table` as one snapshot on the main branch; returns the
// metadata that committed it. Rows go to files under the table (`backend`
// key `table` + "/data/..."). ErrorCode::not_found without the table;
// ErrorCode::conflict when the retries run out.
[[nodiscard]] Result<CurrentMetadata> append(Catalog& catalog, std::shared_ptr<Backend> backend, const std::string& table,
                                             arrow::RecordBatchReader& rows, const AppendOptions& options = {});

struct DeleteOptions {
  std::map<std::string, std::string> summary{};
  DataFileOptions files{};
  WriteRetryPolicy retry{};
};

// Deletes the rows of `table` for which `predicate` is true (NULL counts
// as false), copy-on-write: files whose rows all match are removed, files
// with some are rewritten without them, files skipping rules out are not
// read. One snapshot ("delete" when files are only removed, "overwrite"
// when some are rewritten); none when nothing matched (the current
// metadata comes back). A commit that lost the race is checked against the
// winner: when every file it removes is still live (a concurrent append
// commutes; its rows were not visible to this delete and stay) it commits
// on top, reusing what it wrote; when a winner removed or rewrote one of
// them, ErrorCode::conflict, and nothing of this delete remains.
[[nodiscard]] Result<CurrentMetadata> delete_where(Catalog& catalog, std::shared_ptr<Backend> backend,
                                                   const std::string& table,
                                                   const arrow::compute::Expression& predicate,
                                                   const DeleteOptions& options = {});

struct ExpireOptions {
  std::int64_t older_than_ms = 0;  // snapshots committed before this may go...
  int retain_last = 1;             // ...except the newest this many of the main branch
  WriteRetryPolicy retry{};
  bool dry_run = false;  // report what would go; commit and delete nothing
  // Also delete files under the table's data/ and metadata/ that no
  // retained snapshot or metadata file references and that are older than
  // older_than_ms (what crashed or abandoned writes left).
  bool remove_orphans = false;
};

struct ExpireReport {
  std::int64_t snapshots_expired = 0;
  std::int64_t files_deleted = 0;  // data files, manifests and manifest lists (and orphans)
  std::int64_t bytes = 0;
  std::vector<std::string> files{};  // their storage keys
};

// Snapshot expiry: drops the snapshots ExpireOptions lets go (never one a
// branch or tag points at), commits the metadata without them, then
// deletes the files only they referenced: their manifest lists, manifests
// no retained snapshot lists, and data files no retained snapshot holds
// live. Files a retained snapshot still needs are never touched. Deleting
// comes after the commit: an error there is returned, and the files it did
// not reach stay behind unreferenced (harmless to readers).
[[nodiscard]] Result<ExpireReport> expire_snapshots(Catalog& catalog, std::shared_ptr<Backend> backend,
                                                    const std::string& table, const ExpireOptions& options);

}  // namespace lake::iceberg
