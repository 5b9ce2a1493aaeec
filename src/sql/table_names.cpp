// Quoted table names (see the header).
#include "sql/table_names.hpp"

#include <format>

namespace lake::sql {

Result<std::string> quoted_table_name(std::string_view name, const QuoteIdentifier& quote) {
  std::string quoted;
  std::size_t parts = 0;
  for (std::size_t start = 0;;) {
    const auto dot = name.find('.', start);
    const std::string_view part = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || ++parts > 3)
      return fail(ErrorCode::invalid_argument,
                  std::format("'{}' is not a table name (name, database.name or catalog.database.name)", name));
    quoted += (quoted.empty() ? "" : ".") + quote(part);
    if (dot == std::string_view::npos) return quoted;
    start = dot + 1;
  }
}

}  // namespace lake::sql
