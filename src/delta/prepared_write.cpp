// The second phase of delete, update and merge: commit what was planned,
// or plan again (merge) when a winner wrote one of the write's keys.
#include "delta/prepared_write.hpp"

#include <format>

#include "delta/table_writer.hpp"

namespace lake::delta {

PreparedWrite::PreparedWrite(std::unique_ptr<PreparedWriteState> state) : state_(std::move(state)) {}
PreparedWrite::PreparedWrite(PreparedWrite&&) noexcept = default;
PreparedWrite& PreparedWrite::operator=(PreparedWrite&& other) noexcept {
  if (this != &other) {
    abort();
    state_ = std::move(other.state_);
  }
  return *this;
}
PreparedWrite::~PreparedWrite() { abort(); }

void PreparedWrite::abort() {
  if (!state_ || state_->status != PreparedWriteState::Status::pending) return;
  state_->status = PreparedWriteState::Status::aborted;
  if (state_->planned) TableWriter(*state_->table).discard(state_->planned->written, state_->planned->written_vectors);
  state_->planned.reset();
}

Result<CommitResult> PreparedWrite::commit() {
  using Status = PreparedWriteState::Status;
  if (!state_) return fail(ErrorCode::invalid_argument, "commit of a moved-from prepared write");
  auto& s = *state_;
  if (s.outcome) return *s.outcome;
  if (s.status == Status::aborted)
    return fail(ErrorCode::invalid_argument, std::format("the {} was aborted", s.operation));
  auto finish = [&](Result<CommitResult> outcome) -> Result<CommitResult> {
    s.status = outcome ? Status::committed : Status::failed;
    s.planned.reset();
    s.outcome = outcome;
    return outcome;
  };
  TableWriter writer(*s.table);
  const CommitPolicy policy = writer.commit_policy();
  for (int redo = 1;; ++redo) {
    if (!s.planned)
      return finish(CommitResult{.skipped_as_duplicate = s.skipped_as_duplicate,
                                 .version = s.table->version(),
                                 .attempts = s.attempts.used});
    PlannedCommit planned = std::move(*s.planned);
    s.planned.reset();
    // On failure the writer has removed the planned files already.
    auto committed = writer.commit(std::move(planned.pending), planned.written, planned.result, &s.attempts,
                                   planned.written_vectors);
    if (committed || !s.replan || !redo_resolves(committed.error())) return finish(std::move(committed));
    if (s.attempts.used >= policy.max_attempts)
      return finish(fail(ErrorCode::conflict,
                         std::format("{} gave up after {} commit attempts (read version {}); the last conflict: {}",
                                     s.operation, s.attempts.used, s.read_version, committed.error().message()),
                         std::make_shared<ConflictDetail>(ConflictDetail::Kind::too_many_attempts,
                                                          s.table->version(), std::vector<std::string>{})));
    back_off(policy, redo);
    auto again = s.replan();
    if (!again) return finish(std::unexpected(again.error()));
    s.planned = std::move(*again);
  }
}

}  // namespace lake::delta
