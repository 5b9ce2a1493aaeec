// Client::migrate_status, migrate_apply and migrate_down: a migration
// directory's files run on the client's engine, the applied versions kept
// in the lake's own lake_migrations table. The engine applies each step
// (Driver::create_table, alter_table, drop_table) as the table format and
// the engine allow: the embedded engine commits a table's consecutive
// ALTER statements at once, Spark runs them one by one.
#include <arrow/compute/api.h>

#include <algorithm>
#include <chrono>
#include <format>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "client/client_core.hpp"
#include "core/propagate.hpp"
#include "lake/dialect.hpp"
#include "lake/query.hpp"
#include "migrate/apply_plan.hpp"
#include "migrate/migration_dir.hpp"

namespace lake {
namespace {

// A row of lake_migrations: one file applied, or a run stopped inside it.
struct [[=lake::table("lake_migrations")]] AppliedMigration {
  [[=lake::pk]] std::int64_t version = 0;
  std::string file;
  std::string checksum;  // migrate::file_checksum of the file as applied
  lake::timestamp applied_at{};
  std::int64_t steps_done = 0;  // steps of its Up section committed
  bool complete = false;
};

// The row of lake_migrations that is the lock of apply and down: version
// 0 (goose numbers migrations from 1), inserted with ConflictStrategy::
// error, so of two runs one inserts it and the other waits (a keyed insert
// is checked against the commits that won the race). A run renews it after
// every step; one left by a run that stopped without releasing it (a
// crash) is taken over once it is older than the lease.
constexpr std::int64_t kLockVersion = 0;
constexpr std::chrono::minutes kLockLease{30};

class MigrationLock {
 public:
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;
  MigrationLock(MigrationLock&& other) noexcept : db_(std::exchange(other.db_, nullptr)), token_(std::move(other.token_)) {}
  ~MigrationLock() {
    if (db_) (void)release();
  }

  static Result<MigrationLock> take(Client& db, const detail::ClientCore& core) {
    const std::string token = IngestId::generate().to_string();
    const auto deadline = std::chrono::steady_clock::now() + kLockLease;
    std::chrono::milliseconds pause{50};
    while (true) {
      AppliedMigration lock{.version = kLockVersion, .file = "(lock)", .checksum = token, .applied_at = lake::now(),
                            .steps_done = 0, .complete = false};
      auto taken = db.insert(std::span<AppliedMigration>(&lock, 1));
      if (taken) return MigrationLock(db, token);
      if (taken.error().code() != ErrorCode::already_exists) return std::unexpected(taken.error());
      auto holder = held(db);
      LAKE_RETURN_IF_ERROR(holder);
      if (!*holder) continue;  // released meanwhile
      if (lake::now() - (*holder)->applied_at > kLockLease) {
        core.log(LogLevel::warn, "taking over a stale migration lock",
                 {{"holder", (*holder)->checksum}, {"since", format_timestamp((*holder)->applied_at)}});
        auto removed = db.delete_where(migrate::kMigrationsTable, mine((*holder)->checksum));
        LAKE_RETURN_IF_ERROR(removed);
        continue;
      }
      if (std::chrono::steady_clock::now() > deadline)
        return fail(ErrorCode::conflict,
                    std::format("another migration run holds the lock of {} (renewed {}); waited {} minutes",
                                migrate::kMigrationsTable, format_timestamp((*holder)->applied_at),
                                kLockLease.count()));
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    }
  }

  Status renew() {
    AppliedMigration lock{.version = kLockVersion, .file = "(lock)", .checksum = token_, .applied_at = lake::now(),
                          .steps_done = 0, .complete = false};
    auto renewed = db_->upsert(std::span<AppliedMigration>(&lock, 1));
    LAKE_RETURN_IF_ERROR(renewed);
    return {};
  }

  Status release() {
    auto removed = std::exchange(db_, nullptr)->delete_where(migrate::kMigrationsTable, mine(token_));
    LAKE_RETURN_IF_ERROR(removed);
    return {};
  }

 private:
  MigrationLock(Client& db, std::string token) : db_(&db), token_(std::move(token)) {}

  static arrow::compute::Expression mine(const std::string& token) {
    namespace cp = arrow::compute;
    return cp::and_(cp::equal(cp::field_ref("version"), cp::literal(kLockVersion)),
                    cp::equal(cp::field_ref("checksum"), cp::literal(token)));
  }

  static Result<std::optional<AppliedMigration>> held(const Client& db) {
    auto reader = db.query(std::format(
        "SELECT version, file, checksum, applied_at, steps_done, complete FROM {} WHERE version = {}",
        migrate::kMigrationsTable, kLockVersion));
    LAKE_RETURN_IF_ERROR(reader);
    LAKE_ASSIGN_OR_RETURN(auto rows, collect_as<AppliedMigration>(**reader));
    if (rows.empty()) return std::optional<AppliedMigration>{};
    return std::optional(std::move(rows.front()));
  }

  Client* db_;
  std::string token_;
};

// What the directory and the lake say, side by side.
struct Survey {
  migrate::StatusReport report;
  std::map<std::int64_t, migrate::MigrationFile> files;
  std::map<std::int64_t, AppliedMigration> applied;
};

Error mismatch(const std::string& file, const std::string& problem, std::string message) {
  return Error(ErrorCode::invalid_argument, std::move(message),
               std::make_shared<const migrate::MigrationMismatch>(file, problem));
}

Result<std::map<std::int64_t, AppliedMigration>> read_applied(const Client& db, Driver& driver, const TableRef& table) {
  std::map<std::int64_t, AppliedMigration> out;
  auto live = driver.describe(table);
  LAKE_RETURN_IF_ERROR(live);
  if (!*live) return out;
  auto reader = db.query(std::format(
      "SELECT version, file, checksum, applied_at, steps_done, complete FROM {} WHERE version <> {}",
      migrate::kMigrationsTable, kLockVersion));
  LAKE_RETURN_IF_ERROR(reader);
  LAKE_ASSIGN_OR_RETURN(auto rows, collect_as<AppliedMigration>(**reader));
  for (auto& row : rows) out.emplace(row.version, std::move(row));
  return out;
}

// `directory` as MigrationDir::read(dir, IfAbsent::not_found) gives it.
Result<Survey> survey(const Client& db, Driver& driver, const TableRef& table, const migrate::MigrationDir& directory) {
  Survey s;
  s.report.directory_problems = directory.sum_problems();
  for (auto& file : directory.migrations(s.report.directory_problems)) s.files.emplace(file.version, std::move(file));
  LAKE_ASSIGN_OR_RETURN(s.applied, read_applied(db, driver, table));

  std::int64_t newest_applied = 0;
  std::map<std::string, const AppliedMigration*> by_name;
  for (const auto& [version, row] : s.applied) {
    newest_applied = std::max(newest_applied, version);
    by_name.emplace(row.file, &row);
  }
  std::set<std::string> replaced;  // files a squash in the directory stands for
  std::map<std::int64_t, migrate::MigrationState> states;
  for (const auto& [version, file] : s.files) {
    auto& state = states[version];
    state.version = version;
    state.file = file.name;
    replaced.insert(file.squashes.begin(), file.squashes.end());
    auto row = s.applied.find(version);
    if (!file.squashes.empty() && (row == s.applied.end() || row->second.file != file.name)) {
      // A squash this lake did not run itself: applied when the lake
      // applied every file it replaces.
      std::size_t done = 0;
      for (const auto& name : file.squashes) {
        auto it = by_name.find(name);
        if (it == by_name.end() || !it->second->complete) continue;
        ++done;
        state.applied_at = std::max(state.applied_at.value_or(timestamp{}), it->second->applied_at);
      }
      state.applied = done == file.squashes.size();
      if (!state.applied) state.applied_at.reset();
      if (done > 0 && !state.applied) state.problem = "squashed-partly";
      continue;
    }
    if (row != s.applied.end()) {
      state.applied = row->second.complete;
      state.applied_at = row->second.applied_at;
      // A file a run stopped inside may be fixed before apply resumes
      // (the steps that committed must stay as they were).
      if (!row->second.complete)
        state.problem = "partial";
      else if (row->second.checksum != migrate::file_checksum(file.text))
        state.problem = "edited";
    } else if (version < newest_applied) {
      // goose refuses these too: a file added below the lake's version
      // would run after files that were written after it.
      state.problem = "out-of-order";
    }
  }
  for (const auto& [version, row] : s.applied) {
    if (s.files.contains(version) || replaced.contains(row.file)) continue;
    states[version] = {.version = version,
                       .file = row.file,
                       .applied = row.complete,
                       .applied_at = row.applied_at,
                       .problem = "missing"};
  }
  for (auto& [version, state] : states) s.report.migrations.push_back(std::move(state));
  return s;
}

// Apply and down run only on a directory the lake agrees with: the first
// disagreement as a typed error (a file stopped halfway is apply's to
// finish, so apply lets it through).
Status check_agreement(const Survey& s, bool partial_allowed) {
  if (!s.report.directory_problems.empty()) {
    const auto& problem = s.report.directory_problems.front();
    return std::unexpected(mismatch(problem.file, problem.kind,
                                    std::format("the migration directory disagrees with itself ({}{}: {}); fix it "
                                                "(or accept edits with `migrate hash`) first",
                                                problem.kind, problem.file.empty() ? "" : " " + problem.file,
                                                problem.message)));
  }
  for (const auto& m : s.report.migrations) {
    if (m.problem.empty() || (m.problem == "partial" && partial_allowed)) continue;
    std::string why = m.problem == "edited"    ? "was edited after it was applied"
                      : m.problem == "missing" ? "was applied, and its file is gone"
                      : m.problem == "partial" ? "stopped halfway: run apply to finish it first"
                      : m.problem == "squashed-partly"
                          ? "squashes files this lake applied only some of: apply the original files here first"
                          : "is older than a version already applied";
    return std::unexpected(mismatch(m.file, m.problem, std::format("migration {} {}", m.file, why)));
  }
  return {};
}

}  // namespace

Result<migrate::StatusReport> Client::migrate_status(const std::filesystem::path& dir) const {
  LAKE_RETURN_IF_ERROR(check_open());
  LAKE_ASSIGN_OR_RETURN(auto directory, migrate::MigrationDir::read(dir, migrate::IfAbsent::not_found));
  LAKE_ASSIGN_OR_RETURN(auto s,
                        survey(*this, *state_->driver, state_->table_ref(migrate::kMigrationsTable), directory));
  return std::move(s.report);
}

namespace {

// Runs one step on the engine.
Status run_step(detail::ClientCore& core, const migrate::ApplyStep& step) {
  const TableRef table = core.table_ref(step.table);
  switch (step.kind) {
    case migrate::ApplyStep::Kind::create:
      return core.driver->create_table(table, *step.schema, step.properties);
    case migrate::ApplyStep::Kind::drop:
      return core.driver->drop_table(table);
    case migrate::ApplyStep::Kind::alter:
      return core.driver->alter_table(table, step.statements);
  }
  return fail(ErrorCode::internal, "unknown migration step");
}

std::string describe_step(const migrate::ApplyStep& step, std::size_t index, std::size_t count) {
  return std::format("step {} of {} ({} {})", index + 1, count,
                     step.kind == migrate::ApplyStep::Kind::create ? "create"
                     : step.kind == migrate::ApplyStep::Kind::drop ? "drop"
                                                                   : "alter",
                     step.table);
}

// A run of apply or down: the lock taken first, so the survey sees what a
// run before this one did, and the directory checked against the lake.
struct Run {
  MigrationLock lock;
  Survey survey;
};

Result<Run> begin_run(Client& db, detail::ClientCore& core, const std::filesystem::path& dir, bool partial_allowed) {
  // Read first: a mistyped directory fails before the run writes its
  // table and lock.
  LAKE_ASSIGN_OR_RETURN(auto directory, migrate::MigrationDir::read(dir, migrate::IfAbsent::not_found));
  LAKE_RETURN_IF_ERROR(db.migrate<AppliedMigration>());
  LAKE_ASSIGN_OR_RETURN(auto lock, MigrationLock::take(db, core));
  LAKE_ASSIGN_OR_RETURN(auto s, survey(db, *core.driver, core.table_ref(migrate::kMigrationsTable), directory));
  LAKE_RETURN_IF_ERROR(check_agreement(s, partial_allowed));
  return Run{std::move(lock), std::move(s)};
}

}  // namespace

Result<migrate::ApplyReport> Client::migrate_apply(const std::filesystem::path& dir,
                                                   std::optional<std::int64_t> to_version) {
  LAKE_RETURN_IF_ERROR(check_open());
  LAKE_ASSIGN_OR_RETURN(auto run, begin_run(*this, *state_, dir, /*partial_allowed=*/true));
  auto& [lock, s] = run;
  const auto& rules = *state_->dialect->migration_rules();

  // Every pending file is planned before the first runs: a statement
  // outside the subset refuses the run, not its middle.
  struct Pending {
    const migrate::MigrationFile* file;
    std::vector<migrate::ApplyStep> steps;
    std::int64_t done;
  };
  std::vector<Pending> pending;
  for (const auto& [version, file] : s.files) {
    if (to_version && version > *to_version) break;
    const auto& state = *std::ranges::find(s.report.migrations, version, &migrate::MigrationState::version);
    if (state.applied) continue;
    auto row = s.applied.find(version);
    auto steps = migrate::plan_apply(file.up, rules);
    if (!steps) return std::unexpected(steps.error().with_context(std::format("migration {}", file.name)));
    pending.push_back({&file, std::move(*steps), row == s.applied.end() ? 0 : row->second.steps_done});
  }

  migrate::ApplyReport report;
  report.version = s.report.current_version();
  if (pending.empty()) return report;

  for (const auto& p : pending) {
    AppliedMigration row{.version = p.file->version,
                         .file = p.file->name,
                         .checksum = migrate::file_checksum(p.file->text),
                         .applied_at = now(),
                         .steps_done = p.done,
                         .complete = false};
    for (auto i = static_cast<std::size_t>(p.done); i < p.steps.size(); ++i) {
      if (auto ran = run_step(*state_, p.steps[i]); !ran) {
        std::string recorded;
        if (i > 0) {
          row.steps_done = static_cast<std::int64_t>(i);
          auto kept = upsert(std::span<AppliedMigration>(&row, 1));
          recorded = kept ? std::format("; steps 1 to {} are committed and recorded, and apply resumes after them", i)
                          : std::format("; steps 1 to {} are committed, and recording that failed too: {}", i,
                                        kept.error().message());
        }
        state_->log(LogLevel::error, "migration failed", {{"file", p.file->name}, {"step", std::to_string(i + 1)}});
        return std::unexpected(ran.error().with_context(
            std::format("migration {}, {}{}", p.file->name, describe_step(p.steps[i], i, p.steps.size()), recorded)));
      }
      LAKE_RETURN_IF_ERROR(lock.renew());
    }
    row.steps_done = static_cast<std::int64_t>(p.steps.size());
    row.complete = true;
    row.applied_at = now();
    if (auto kept = upsert(std::span<AppliedMigration>(&row, 1)); !kept)
      return std::unexpected(kept.error().with_context(
          std::format("migration {} is applied, and recording it in {} failed", p.file->name,
                      migrate::kMigrationsTable)));
    state_->log(LogLevel::info, "migration applied", {{"file", p.file->name}});
    report.files.push_back(p.file->name);
    report.version = p.file->version;
  }
  LAKE_RETURN_IF_ERROR(lock.release());
  return report;
}

Result<migrate::ApplyReport> Client::migrate_down(const std::filesystem::path& dir,
                                                  std::optional<std::int64_t> to_version) {
  LAKE_RETURN_IF_ERROR(check_open());
  LAKE_ASSIGN_OR_RETURN(auto run, begin_run(*this, *state_, dir, /*partial_allowed=*/false));
  auto& [lock, s] = run;
  const auto& rules = *state_->dialect->migration_rules();

  std::vector<std::int64_t> versions;  // newest first
  for (auto it = s.report.migrations.rbegin(); it != s.report.migrations.rend(); ++it) {
    if (!it->applied) continue;
    if (to_version ? it->version <= *to_version : !versions.empty()) break;
    versions.push_back(it->version);
  }
  struct Undo {
    const migrate::MigrationFile* file;
    std::vector<migrate::ApplyStep> steps;
  };
  std::vector<Undo> undo;
  for (auto version : versions) {
    const auto& file = s.files.at(version);  // check_agreement: no applied file is missing
    if (!file.has_down)
      return fail(ErrorCode::unsupported,
                  std::format("migration {} has no Down section (its change cannot be undone); nothing was undone",
                              file.name));
    auto steps = migrate::plan_apply(file.down, rules);
    if (!steps) return std::unexpected(steps.error().with_context(std::format("migration {} (Down)", file.name)));
    undo.push_back({&file, std::move(*steps)});
  }

  migrate::ApplyReport report;
  for (const auto& u : undo) {
    for (std::size_t i = 0; i < u.steps.size(); ++i)
      if (auto ran = run_step(*state_, u.steps[i]); !ran)
        return std::unexpected(ran.error().with_context(
            std::format("undoing migration {}, {}{} (it stays recorded as applied)", u.file->name,
                        describe_step(u.steps[i], i, u.steps.size()),
                        i == 0 ? "" : std::format("; its steps 1 to {} are undone", i))));
    // Its record, and those of the files it squashes when the lake
    // applied those rather than it.
    namespace cp = arrow::compute;
    cp::Expression which = cp::equal(cp::field_ref("version"), cp::literal(u.file->version));
    for (const auto& [version, row] : s.applied)
      if (std::ranges::contains(u.file->squashes, row.file))
        which = cp::or_(which, cp::equal(cp::field_ref("version"), cp::literal(version)));
    auto removed = delete_where(migrate::kMigrationsTable, which);
    if (!removed)
      return std::unexpected(removed.error().with_context(
          std::format("migration {} is undone, and removing its record from {} failed", u.file->name,
                      migrate::kMigrationsTable)));
    state_->log(LogLevel::info, "migration undone", {{"file", u.file->name}});
    report.files.push_back(u.file->name);
  }
  for (const auto& m : s.report.migrations)
    if (m.applied && !std::ranges::contains(versions, m.version)) report.version = std::max(report.version, m.version);
  LAKE_RETURN_IF_ERROR(lock.release());
  return report;
}

}  // namespace lake
