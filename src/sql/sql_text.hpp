// Reading SQL text the little the Client and the engines must (never to
// rewrite values):
// where string literals, quoted identifiers and comments are, so that a
// `?` or a `;` inside one is not taken for a marker or the statement's end.
#pragma once

#include <cstddef>
#include <string_view>

namespace lake::sql {

// The `?` markers of a statement, outside literals, quoted identifiers
// and comments.
[[nodiscard]] std::size_t count_placeholders(std::string_view sql);

// The statement without what may follow its last clause: trailing
// semicolons, blanks and comments, so that it can become a subquery.
[[nodiscard]] std::string_view statement_body(std::string_view sql);

}  // namespace lake::sql
