#include "delta/row_deletions.hpp"

#include <algorithm>
#include <format>
#include <string_view>

#include "core/propagate.hpp"
#include "delta/log_replay.hpp"
#include "delta/table_writer.hpp"

namespace lake::delta {

std::string stats_under_vector(const std::optional<std::string>& stats, std::uint64_t file_rows) {
  const std::string fresh = std::format(R"({{"numRecords":{},"tightBounds":false}})", file_rows);
  if (!stats) return fresh;
  std::string text = *stats;
  const std::size_t open = text.find_first_not_of(" \t\r\n");
  if (open == std::string::npos || text[open] != '{') return fresh;  // not an object: says nothing
  if (const std::size_t next = text.find_first_not_of(" \t\r\n", open + 1); next == std::string::npos || text[next] == '}')
    return fresh;
  if (const std::size_t tight = top_level_member(text, "tightBounds"); tight != std::string::npos) {
    if (text.compare(tight, 4, "true") == 0) text.replace(tight, 4, "false");
  } else {
    text.insert(open + 1, R"("tightBounds":false,)");
  }
  // numRecords counts the file's rows whatever its vector deletes; a
  // writer that left it out is told it here.
  if (top_level_member(text, "numRecords") == std::string::npos)
    text.insert(open + 1, std::format(R"("numRecords":{},)", file_rows));
  return text;
}

Status RowDeletions::mark(const Add& file, const arrow::BooleanArray& gone) {
  if (std::ranges::any_of(marked_, [&](const Marked& m) { return m.file.key() == file.key(); }))
    return fail(ErrorCode::internal, std::format("data file '{}' marked twice in one change", file.path));
  std::unique_ptr<DeletedRows> deleted;
  if (file.deletion_vector) {
    LAKE_ASSIGN_OR_RETURN(deleted, load_deleted_rows(backend_, layout_, *file.deletion_vector, file.path));
  } else {
    deleted = DeletedRows::none();
  }
  const std::uint64_t file_rows = static_cast<std::uint64_t>(gone.length()) + deleted->cardinality();
  if (deleted->delete_remaining(gone) == 0) return {};
  marked_.push_back({.file = file, .deleted = std::move(deleted), .file_rows = file_rows});
  return {};
}

Result<RowDeletions::Added> RowDeletions::add_to(PendingCommit& pending) {
  std::vector<DeletedRows*> vectors;
  std::vector<const Marked*> kept;
  for (const Marked& marked : marked_) {
    pending.actions.emplace_back(remove_of(marked.file));
    pending.read_files.insert(marked.file.key());
    // A file with every row deleted is only removed.
    if (marked.deleted->cardinality() < marked.file_rows) {
      vectors.push_back(marked.deleted.get());
      kept.push_back(&marked);
    }
  }
  LAKE_ASSIGN_OR_RETURN(auto written, write_deletion_vectors(backend_, layout_, vectors));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    Add add = kept[i]->file;
    add.data_change = true;
    add.stats = stats_under_vector(add.stats, kept[i]->file_rows);
    add.deletion_vector = written.descriptors[i];
    pending.actions.emplace_back(std::move(add));
  }
  return Added{.vector_file = std::move(written.key),
               .vectors = static_cast<std::int64_t>(kept.size()),
               .files_removed = static_cast<std::int64_t>(marked_.size() - kept.size())};
}

}  // namespace lake::delta
