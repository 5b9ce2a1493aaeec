// Listing the _delta_log and replaying it into a Snapshot.
#include "delta/log_replay.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/column_mapping.hpp"
#include "delta/schema_json.hpp"
#include "delta/table_properties.hpp"

namespace lake::delta {

// A table may sit at the backend's root (table == "").
std::string log_prefix(const std::string& table) { return table.empty() ? "_delta_log/" : table + "/_delta_log/"; }

std::string commit_key(const std::string& table, std::int64_t version) {
  return std::format("{}{:020}.json", log_prefix(table), version);
}

std::optional<std::int64_t> Snapshot::app_version(const std::string& app_id) const {
  if (auto it = txns_.find(app_id); it != txns_.end()) return it->second.version;
  return std::nullopt;
}

std::int64_t Snapshot::num_records() const noexcept {
  std::int64_t total = 0;
  for (const auto& [key, add] : files_) {
    auto n = records_in_stats(add.stats);
    if (!n) return -1;
    // numRecords counts the data file's rows; its vector hides some.
    total += *n - (add.deletion_vector ? add.deletion_vector->cardinality : 0);
  }
  return total;
}

std::int64_t Snapshot::total_bytes() const noexcept {
  std::int64_t total = 0;
  for (const auto& [key, add] : files_) total += add.size;
  return total;
}

namespace {

// Reader features this implementation reads by: deletion vectors are
// applied by every read of a data file (data_file_reader); a widened
// column's older files are cast to its type as they are read (conform),
// and their stats read in it (every widening the protocol allows between
// types lake-orm has keeps a value's order and JSON form); the others
// change nothing about reading, or check_readable inspects them further.
// v2Checkpoint: UUID-named and JSON checkpoints and their sidecars are
// read (checkpoint_reader).
constexpr std::string_view kReaderFeatures[] = {"deletionVectors", "columnMapping",        "vacuumProtocolCheck",
                                                "timestampNtz",    "typeWidening",         "typeWidening-preview",
                                                "v2Checkpoint"};
// Writer features this implementation honours when writing (invariants
// only while none are declared, checked below). deletionVectors: files
// are read without their deleted rows and removed with their vector (the
// logical file); delete, update and merge write vectors when the table
// enables them (row_deletions.hpp) and rewrite files otherwise; optimize
// purges vectors; vacuum keeps the vector files retained versions use.
// columnMapping: data files, partition values and stats are written by
// physical name and field id (column_mapping.hpp); renames and drops
// change only the schema.
// typeWidening: files are written in the columns' current types, and a
// type change lake-orm makes is recorded in delta.typeChanges
// (type_widening.hpp).
// domainMetadata: domains are replayed, kept in checkpoints, and a
// commit setting a domain conflicts with a winner that set it too.
// v2Checkpoint: checkpoints are V2 ones (a UUID-named top level and a
// sidecar) when delta.checkpointPolicy is v2 (checkpoint_writer).
// inCommitTimestamp: commitInfo comes first and records a timestamp
// after the previous commit's (transaction.cpp).
// rowTracking: new files get fresh row ids and commit versions, files
// recommitted or removed keep theirs, the high water mark is kept
// (row_tracking.hpp).
// clustering: writes keep the clustering domain and collect stats on its
// columns; optimize clusters by them (liquid_clustering.hpp).
// timestampNtz: timestamp_ntz columns are zone-less Arrow timestamps
// (lake::local_timestamp), their stats written without a zone.
constexpr std::string_view kWriterFeatures[] = {
    "appendOnly",   "invariants",           "vacuumProtocolCheck", "deletionVectors",   "columnMapping",
    "typeWidening", "typeWidening-preview", "domainMetadata",      "v2Checkpoint",      "inCommitTimestamp",
    "rowTracking",  "clustering",           "timestampNtz"};

bool contains(std::span<const std::string_view> list, std::string_view name) {
  return std::ranges::find(list, name) != list.end();
}

Status unsupported_feature(std::string_view what, std::string_view feature) {
  return fail(ErrorCode::unsupported,
              std::format("the table needs {} feature '{}', which lake-orm does not implement", what, feature));
}

}  // namespace

Status check_protocol_readable(const Protocol& protocol) {
  if (protocol.min_reader_version > 3)
    return fail(ErrorCode::unsupported,
                std::format("the table needs Delta reader version {} (lake-orm reads up to 3)", protocol.min_reader_version));
  for (const auto& feature : protocol.reader_features)
    if (!contains(kReaderFeatures, feature)) return unsupported_feature("reader", feature);
  return {};
}

Status check_protocol_writable(const Protocol& protocol) {
  LAKE_RETURN_IF_ERROR(check_protocol_readable(protocol));
  const int writer = protocol.min_writer_version;
  if (writer > 7 || writer == 6)
    return fail(ErrorCode::unsupported, std::format("the table needs Delta writer version {} (lake-orm writes 1 to 5 "
                                                    "and 7 with supported features)",
                                                    writer));
  for (const auto& feature : protocol.writer_features)
    if (!contains(kWriterFeatures, feature)) return unsupported_feature("writer", feature);
  return {};
}

Status Snapshot::check_readable() const {
  LAKE_RETURN_IF_ERROR(check_protocol_readable(protocol_));
  if (auto mapping = column_mapping_of(metadata_.configuration); !mapping)
    return unsupported_feature("reader", "columnMapping (mode " + metadata_.configuration.at("delta.columnMapping.mode") + ")");
  return {};
}

Status Snapshot::check_writable(bool removes_data) const {
  LAKE_RETURN_IF_ERROR(check_readable());
  // Legacy writer versions 3 to 5 (what Spark gives a table when column
  // mapping is turned on without table features) ask for CHECK
  // constraints, the change data feed and generated columns besides
  // column mapping: written while the table uses none of them.
  LAKE_RETURN_IF_ERROR(check_protocol_writable(protocol_));
  const int writer = protocol_.min_writer_version;
  if (writer >= 3 && writer <= 5) {
    for (const auto& [key, value] : metadata_.configuration)
      if (key.starts_with("delta.constraints."))
        return unsupported_feature("writer", std::format("checkConstraints (constraint '{}')", key));
    if (writer >= 4) {
      if (property_is(metadata_.configuration, "delta.enableChangeDataFeed", "true"))
        return unsupported_feature("writer", "changeDataFeed (delta.enableChangeDataFeed = true)");
      if (metadata_.schema_string.find("delta.generationExpression") != std::string::npos)
        return unsupported_feature("writer", "generatedColumns (the schema declares generated columns)");
    }
  }
  if (metadata_.schema_string.find("delta.invariants") != std::string::npos)
    return unsupported_feature("writer", "invariants (the schema declares column invariants)");
  if (removes_data) {
    if (property_is(metadata_.configuration, "delta.appendOnly", "true"))
      return fail(ErrorCode::invalid_argument, "the table is append-only (delta.appendOnly=true); rows cannot be "
                                               "deleted or rewritten");
  }
  return {};
}

std::size_t top_level_member(std::string_view text, std::string_view name) {
  constexpr std::string_view kSpace = " \t\r\n";
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      std::size_t end = i + 1;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      if (end >= text.size()) return std::string_view::npos;
      // A string at depth 1 followed by ':' is a member name (a value is
      // followed by ',' or '}').
      if (depth == 1 && text.substr(i + 1, end - i - 1) == name) {
        const std::size_t colon = text.find_first_not_of(kSpace, end + 1);
        if (colon != std::string_view::npos && text[colon] == ':') return text.find_first_not_of(kSpace, colon + 1);
      }
      i = end;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::string_view::npos;
}

std::optional<std::int64_t> records_in_stats(const std::optional<std::string>& stats) {
  if (!stats) return std::nullopt;
  // A scan of the top-level object instead of a full JSON parse (this runs
  // for every file of a table): only a numRecords member of the stats
  // object itself counts, not one of minValues / maxValues / nullCount,
  // where a column may have that name.
  const std::string_view text = *stats;
  const std::size_t value = top_level_member(text, "numRecords");
  if (value == std::string_view::npos) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data() + value, text.data() + text.size(), n);
  if (ec != std::errc{} || (end != text.data() + text.size() && (*end == '.' || *end == 'e' || *end == 'E')))
    return std::nullopt;
  return n;
}

namespace {

// ".checkpoint.<uuid>.parquet" or ".checkpoint.<uuid>.json": a
// UUID-named V2 checkpoint.
bool is_uuid_checkpoint(std::string_view rest) {
  constexpr std::string_view kPrefix = ".checkpoint.";
  if (!rest.starts_with(kPrefix)) return false;
  std::string_view uuid = rest.substr(kPrefix.size());
  if (uuid.ends_with(".parquet")) uuid.remove_suffix(8);
  else if (uuid.ends_with(".json")) uuid.remove_suffix(5);
  else return false;
  if (uuid.size() != 36) return false;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? uuid[i] != '-' : !std::isxdigit(static_cast<unsigned char>(uuid[i]))) return false;
  }
  return true;
}

// Sorts the _delta_log objects into commits and complete checkpoints.
LogListing classify_log(const std::string& table, std::vector<ObjectInfo> objects) {
  LogListing listing;
  const std::size_t prefix = log_prefix(table).size();
  for (auto& object : objects) {
    std::string_view name = std::string_view(object.key).substr(prefix);
    if (name.size() < 20) continue;
    std::int64_t version = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + 20, version);
    if (ec != std::errc{} || end != name.data() + 20) continue;
    std::string_view rest = name.substr(20);
    if (rest == ".json") {
      listing.commits.push_back({version, object});
    } else if (rest == ".checkpoint.parquet") {
      listing.checkpoints.push_back({version, 1, {object}});
    } else if (is_uuid_checkpoint(rest)) {
      // V2: <v>.checkpoint.<uuid>.parquet or .json, one file (its
      // sidecars are named inside it).
      listing.checkpoints.push_back({version, 1, {object}});
    } else if (rest.starts_with(".checkpoint.") && rest.ends_with(".parquet")) {
      // Multi-part: <v>.checkpoint.<part>.<parts>.parquet, 10 digits each.
      std::string_view numbers = rest.substr(12, rest.size() - 12 - 8);
      int part = 0, parts = 0;
      if (numbers.size() == 21 && numbers[10] == '.' &&
          std::from_chars(numbers.data(), numbers.data() + 10, part).ec == std::errc{} &&
          std::from_chars(numbers.data() + 11, numbers.data() + 21, parts).ec == std::errc{} && parts > 0) {
        auto it = std::ranges::find_if(listing.checkpoints, [&](const CheckpointFiles& c) {
          return c.version == version && c.parts == parts;
        });
        if (it == listing.checkpoints.end()) {
          listing.checkpoints.push_back({version, parts, {}});
          it = listing.checkpoints.end() - 1;
        }
        it->files.push_back(object);
      }
    }
  }
  // A multi-part checkpoint counts only when every part is there.
  std::erase_if(listing.checkpoints,
                [](const CheckpointFiles& c) { return static_cast<int>(c.files.size()) != c.parts; });
  for (auto& c : listing.checkpoints)
    std::ranges::sort(c.files, {}, &ObjectInfo::key);
  std::ranges::sort(listing.commits, {}, &CommitFile::version);
  std::ranges::sort(listing.checkpoints, {}, &CheckpointFiles::version);
  return listing;
}

// The version _last_checkpoint names, if it is there and readable. It is
// only a hint (written after the checkpoint, possibly by another engine,
// possibly stale), so anything wrong with it means "no hint".
std::optional<std::int64_t> last_checkpoint_hint(Backend& backend, const std::string& table) {
  auto text = backend.get_text(log_prefix(table) + "_last_checkpoint");
  if (!text) return std::nullopt;
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object() || !doc.contains("version") || !doc["version"].is_number_integer()) return std::nullopt;
  auto version = doc["version"].get<std::int64_t>();
  if (version < 0) return std::nullopt;
  return version;
}

}  // namespace

namespace {

// A listing taken while writers commit may miss a commit created during it
// and still show a later one (a directory read in hash order, not in
// creation order): a gap between two listed commits. Commits are never
// removed from between two others, so each missing one is looked up by its
// key; one that really is not there stays a gap for replay to report. A
// listing asked to start at `from` is filled from there.
Status fill_gaps(Backend& backend, const std::string& table, LogListing& listing,
                 std::optional<std::int64_t> from = std::nullopt) {
  std::vector<CommitFile> filled;
  for (const auto& commit : listing.commits) {
    const std::int64_t first = filled.empty() ? from.value_or(commit.version) : filled.back().version + 1;
    for (std::int64_t missing = first; missing < commit.version; ++missing) {
      auto found = backend.head(commit_key(table, missing));
      if (!found) {
        if (found.error().code() == ErrorCode::not_found) break;
        return std::unexpected(found.error());
      }
      filled.push_back({missing, std::move(*found)});
    }
    filled.push_back(commit);
  }
  listing.commits = std::move(filled);
  return {};
}

}  // namespace

Result<LogListing> list_log(Backend& backend, const std::string& table) {
  auto objects = backend.list(log_prefix(table));
  LAKE_RETURN_IF_ERROR(objects);
  LogListing listing = classify_log(table, std::move(*objects));
  LAKE_RETURN_IF_ERROR(fill_gaps(backend, table, listing));
  return listing;
}

Result<LogListing> list_log_from(Backend& backend, const std::string& table, std::int64_t version) {
  // "<log>/<version>" sorts just before every entry of that version.
  auto objects = backend.list(log_prefix(table), std::format("{}{:020}", log_prefix(table), std::max<std::int64_t>(version, 0)));
  LAKE_RETURN_IF_ERROR(objects);
  LogListing listing = classify_log(table, std::move(*objects));
  LAKE_RETURN_IF_ERROR(fill_gaps(backend, table, listing, std::max<std::int64_t>(version, 0)));
  return listing;
}

Result<LogListing> list_log_for_latest(Backend& backend, const std::string& table) {
  if (auto hint = last_checkpoint_hint(backend, table)) {
    auto listing = list_log_from(backend, table, *hint);
    if (!listing) return listing;
    // Use the short listing only when the checkpoint it starts from is
    // there and complete; otherwise the commits before it are needed.
    if (!listing->checkpoints.empty() && listing->checkpoints.front().version == *hint) return listing;
  }
  return list_log(backend, table);
}

std::optional<std::int64_t> in_commit_timestamp_of(const std::vector<Action>& actions) {
  for (const auto& action : actions) {
    const auto* info = std::get_if<CommitInfo>(&action);
    if (info == nullptr) continue;
    // The member is at the top level of the object; a scan avoids parsing
    // operation parameters and metrics for every replayed commit.
    const std::string_view text = info->json;
    const std::size_t value = top_level_member(text, "inCommitTimestamp");
    if (value == std::string_view::npos) return std::nullopt;
    std::int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data() + value, text.data() + text.size(), ms);
    if (ec != std::errc{}) return std::nullopt;
    return ms;
  }
  return std::nullopt;
}

Result<std::optional<std::int64_t>> read_in_commit_timestamp(Backend& backend, const std::string& key) {
  auto text = backend.get_text(key);
  LAKE_RETURN_IF_ERROR(text);
  auto actions = parse_commit_text(*text, key);
  LAKE_RETURN_IF_ERROR(actions);
  return in_commit_timestamp_of(*actions);
}

bool in_commit_timestamps_enabled(const Metadata& metadata) {
  return property_is(metadata.configuration, "delta.enableInCommitTimestamps", "true");
}

void LogReplay::set_commit_time(Snapshot& s, timestamp file_time, std::optional<std::int64_t> in_commit_timestamp) {
  // PROTOCOL.md "In-Commit Timestamps": while the table enables them, a
  // commit's time is the one its commitInfo records (file times change when
  // the log is copied); before that, and on other tables, the file's.
  s.in_commit_timestamp_ = in_commit_timestamps_enabled(s.metadata_) ? in_commit_timestamp : std::nullopt;
  s.committed_at_ = s.in_commit_timestamp_ ? timestamp(std::chrono::milliseconds(*s.in_commit_timestamp_)) : file_time;
}

const DomainMetadata* Snapshot::domain(std::string_view name) const {
  auto it = domains_.find(name);
  return it == domains_.end() ? nullptr : &it->second;
}

void LogReplay::apply(Snapshot& s, Action action) {
  std::visit(
      [&](auto&& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::same_as<A, Protocol>) {
          s.protocol_ = std::move(a);
          s.has_protocol_ = true;
        } else if constexpr (std::same_as<A, Metadata>) {
          s.metadata_ = std::move(a);
        } else if constexpr (std::same_as<A, Add>) {
          // The newest reference to a logical file wins; a reference to the
          // same data file with another deletion vector is another file.
          LogicalFileKey key = a.key();
          s.tombstones_.erase(key);
          s.files_.insert_or_assign(std::move(key), std::move(a));
        } else if constexpr (std::same_as<A, Remove>) {
          LogicalFileKey key = a.key();
          s.files_.erase(key);
          s.tombstones_.insert_or_assign(std::move(key), std::move(a));
        } else if constexpr (std::same_as<A, Txn>) {
          std::string app = a.app_id;
          s.txns_.insert_or_assign(std::move(app), std::move(a));
        } else if constexpr (std::same_as<A, DomainMetadata>) {
          // The newest action of a domain wins; a tombstone removes it.
          if (a.removed) {
            if (auto it = s.domains_.find(a.domain); it != s.domains_.end()) s.domains_.erase(it);
          } else {
            std::string domain = a.domain;
            s.domains_.insert_or_assign(std::move(domain), std::move(a));
          }
        }
      },
      std::move(action));
}

Status LogReplay::check_one_file_per_path(const Snapshot& s, const std::string& path, std::string_view where) {
  // Keys sort by path first, so the logical files of one data file are
  // adjacent.
  auto it = s.files_.lower_bound(LogicalFileKey{path, {}});
  if (it == s.files_.end() || it->first.path != path) return {};
  auto next = std::next(it);
  if (next == s.files_.end() || next->first.path != path) return {};
  auto described = [](const LogicalFileKey& key) {
    return key.deletion_vector_id.empty() ? std::string("none") : "'" + key.deletion_vector_id + "'";
  };
  return fail(ErrorCode::invalid_argument,
              std::format("{}: data file '{}' is live twice, with deletion vectors {} and {}; a valid log removes the "
                          "old logical file in the commit that adds the new one (PROTOCOL.md \"Add File and Remove "
                          "File\"), so the table cannot be read correctly",
                          where, path, described(it->first), described(next->first)));
}

Status LogReplay::apply_commit(Snapshot& s, Backend& backend, const CommitFile& commit) {
  auto text = backend.get_text(commit.object.key);
  if (!text) {
    // A commit listed a moment ago and gone now was cleaned up under us.
    return fail(text.error().with_context(std::format("reading commit {}", commit.version)));
  }
  auto actions = parse_commit_text(*text, commit.object.key);
  LAKE_RETURN_IF_ERROR(actions);
  return apply_actions(s, commit, std::move(*actions));
}

Status LogReplay::apply_actions(Snapshot& s, const CommitFile& commit, std::vector<Action> actions) {
  const std::string schema_before = s.metadata_.schema_string;
  std::vector<std::string> added;
  for (const auto& action : actions)
    if (const auto* add = std::get_if<Add>(&action)) added.push_back(add->path);
  const std::optional<std::int64_t> in_commit_timestamp = in_commit_timestamp_of(actions);
  for (auto& action : actions) apply(s, std::move(action));
  for (const auto& path : added)
    LAKE_RETURN_IF_ERROR(check_one_file_per_path(s, path, commit.object.key));
  s.version_ = commit.version;
  set_commit_time(s, commit.object.modified, in_commit_timestamp);
  // A snapshot already built (version >= 0 before this commit) keeps its
  // columns in step with schema changes; build() parses them once at the end.
  if (!s.columns_.empty() && s.metadata_.schema_string != schema_before) {
    auto columns = parse_schema_string(s.metadata_.schema_string);
    if (!columns) return std::unexpected(columns.error().with_context(std::format("commit {}", commit.version)));
    s.columns_ = std::move(*columns);
  }
  return {};
}

Result<Snapshot> LogReplay::build(Backend& backend, const std::string& table, const LogListing& listing,
                                  std::optional<std::int64_t> target) {
  if (listing.commits.empty() && listing.checkpoints.empty())
    return fail(ErrorCode::not_found, std::format("no Delta table at '{}' (no _delta_log entries)", table));
  std::int64_t latest = listing.commits.empty() ? listing.checkpoints.back().version : listing.commits.back().version;
  if (!listing.checkpoints.empty()) latest = std::max(latest, listing.checkpoints.back().version);
  std::int64_t version = target.value_or(latest);
  if (version < 0 || version > latest)
    return fail(ErrorCode::not_found,
                std::format("table '{}' has no version {} (latest is {})", table, version, latest));

  Snapshot s;
  std::int64_t next = 0;
  // Start from the newest complete checkpoint at or before the target.
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->version > version) continue;
    auto loaded = load_checkpoint(s, backend, *it);
    LAKE_RETURN_IF_ERROR(loaded);
    s.version_ = it->version;
    // The commit's own time when it is still listed; the checkpoint was
    // written after it.
    auto commit = std::ranges::find(listing.commits, it->version, &CommitFile::version);
    std::optional<std::int64_t> in_commit_timestamp;
    if (commit != listing.commits.end() && in_commit_timestamps_enabled(s.metadata_)) {
      // Checkpoints drop commitInfo: the version's timestamp is in its commit.
      LAKE_ASSIGN_OR_RETURN(in_commit_timestamp, read_in_commit_timestamp(backend, commit->object.key));
    }
    set_commit_time(s, commit != listing.commits.end() ? commit->object.modified : it->files.front().modified,
                    in_commit_timestamp);
    next = it->version + 1;
    break;
  }
  for (const auto& commit : listing.commits) {
    if (commit.version < next) continue;
    if (commit.version > version) break;
    // Reading an old version the log no longer reaches: that version is
    // gone (not_found). Reading the latest: the table is broken, which is
    // not the same as there being no table.
    if (commit.version != next)
      return fail(target ? ErrorCode::not_found : ErrorCode::invalid_argument,
                  std::format("table '{}': log entry {} is missing (found {} next); the log was cleaned up past the "
                              "oldest checkpoint, so version {} cannot be rebuilt",
                              table, next, commit.version, version));
    LAKE_RETURN_IF_ERROR(apply_commit(s, backend, commit));
    ++next;
  }
  if (s.version_ != version)
    return fail(target ? ErrorCode::not_found : ErrorCode::invalid_argument,
                std::format("table '{}': version {} cannot be rebuilt from the log", table, version));
  if (!s.has_protocol_)
    return fail(ErrorCode::invalid_argument, std::format("table '{}' has no protocol action in its log", table));
  if (s.metadata_.schema_string.empty())
    return fail(ErrorCode::invalid_argument, std::format("table '{}' has no metaData action in its log", table));
  // A checkpoint is applied without the per-commit check.
  for (auto it = s.files_.begin(); it != s.files_.end(); ++it)
    if (auto after = std::next(it); after != s.files_.end() && after->first.path == it->first.path)
      return std::unexpected(check_one_file_per_path(s, it->first.path, std::format("table '{}'", table)).error());
  auto columns = parse_schema_string(s.metadata_.schema_string);
  if (!columns) return std::unexpected(columns.error().with_context(std::format("table '{}'", table)));
  s.columns_ = std::move(*columns);
  return s;
}

}  // namespace lake::delta
