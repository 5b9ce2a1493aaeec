#include "drivers/spark/format_session.hpp"

#include <string>
#include <vector>

#include "drivers/spark/session.hpp"

namespace lake::spark {

Result<std::shared_ptr<arrow::Table>> FormatSession::run(const formats::SqlStatement& statement) {
  return lease_->execute(statement.sql, {.positional = statement.params, .named = {}});
}

Result<std::shared_ptr<arrow::Schema>> FormatSession::schema_of(std::string_view query) {
  return lease_->analyze_schema(query);
}

Result<std::shared_ptr<arrow::Table>> FormatSession::run_with(const formats::SqlStatement& statement,
                                                              const formats::SqlSettings& settings) {
  if (settings.empty()) return run(statement);
  if (auto set = lease_->set_config(settings); !set) {
    lease_.discard();
    return std::unexpected(set.error());
  }
  auto output = run(statement);
  std::vector<std::string> keys;
  keys.reserve(settings.size());
  for (const auto& [key, value] : settings) keys.push_back(key);
  if (auto unset = lease_->unset_config(keys); !unset) lease_.discard();  // never reuse stale settings
  return output;
}

}  // namespace lake::spark
