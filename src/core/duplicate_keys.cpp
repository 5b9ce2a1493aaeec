#include "lake/duplicate_keys.hpp"

#include <format>

namespace lake {

std::string DuplicateKeys::describe() const {
  std::string text = std::format("{} key{} already in the table", count_, count_ == 1 ? " is" : "s are");
  for (std::size_t i = 0; i < sample_.size(); ++i) text += (i == 0 ? ": (" : "), (") + sample_[i];
  if (!sample_.empty()) text += ")";
  if (count_ > static_cast<std::int64_t>(sample_.size()))
    text += std::format(" and {} more", count_ - static_cast<std::int64_t>(sample_.size()));
  return text;
}

}  // namespace lake
