// How delete, update and upsert take rows out of a table's existing data
// files: rewrite every file that holds a changed row (copy-on-write), or
// record the rows deleted beside the file and leave its bytes alone
// (merge-on-read: Delta's deletion vectors). Merge-on-read changes 1 % of
// a large table without rewriting it; copy-on-write keeps tables readable
// by readers that do not implement deletion vectors and reads without the
// cost of applying them (optimize purges them later).
#pragma once

namespace lake {

enum class RowChanges {
  // Merge-on-read on tables that enable it (Delta: the deletionVectors
  // feature with delta.enableDeletionVectors=true), copy-on-write on the
  // others. New tables are created without it.
  automatic,
  // Copy-on-write everywhere, even on tables that enable merge-on-read.
  copy_on_write,
  // As automatic, and the tables this client creates enable merge-on-read.
  // Iceberg tables are written copy-on-write only (position-delete writes
  // are not implemented): a client for them refuses this mode.
  merge_on_read,
};

}  // namespace lake
