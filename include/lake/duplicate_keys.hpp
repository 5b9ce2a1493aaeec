// The typed detail of a keyed write refused because the table already
// holds some of its keys (ErrorCode::already_exists): an insert with
// ConflictStrategy::error, an upsert with MergeAction::error, or a raw
// merge that fails on a match. Nothing of such a write is committed.
//
//   auto written = db.insert(users);
//   if (!written && written.error().code() == lake::ErrorCode::already_exists)
//     if (const auto* keys = written.error().detail<lake::DuplicateKeys>())
//       for (const auto& key : keys->sample()) std::println("taken: {}", key);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lake/error.hpp"

namespace lake {

class DuplicateKeys final : public ErrorDetail {
 public:
  // At most this many keys are kept in sample().
  static constexpr std::size_t kSampleSize = 5;

  DuplicateKeys(std::vector<std::string> columns, std::vector<std::string> sample, std::int64_t count)
      : columns_(std::move(columns)), sample_(std::move(sample)), count_(count) {}

  // The key columns.
  [[nodiscard]] const std::vector<std::string>& columns() const noexcept { return columns_; }
  // The first keys found, each as "col=value[, col=value...]".
  [[nodiscard]] const std::vector<std::string>& sample() const noexcept { return sample_; }
  // How many of the write's keys the table holds.
  [[nodiscard]] std::int64_t count() const noexcept { return count_; }
  [[nodiscard]] std::string describe() const override;

 private:
  std::vector<std::string> columns_;
  std::vector<std::string> sample_;
  std::int64_t count_;
};

}  // namespace lake
