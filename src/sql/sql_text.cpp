// Scanning SQL text for markers and the statement's end (see the header).
#include "sql/sql_text.hpp"

#include <algorithm>
#include <cctype>

namespace lake::sql {
namespace {

// Calls on_char(i) for every character outside literals, quoted
// identifiers and comments, and on_quoted(end) after each literal or
// quoted identifier (its closing quote at end - 1).
template <class OnChar, class OnQuoted>
void scan(std::string_view sql, OnChar on_char, OnQuoted on_quoted) {
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      // To the closing quote; a doubled quote is one quote character.
      for (++i; i < sql.size(); ++i) {
        if (sql[i] != c) continue;
        if (i + 1 < sql.size() && sql[i + 1] == c) ++i;
        else break;
      }
      on_quoted(std::min(i + 1, sql.size()));
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      i = std::min(sql.find('\n', i), sql.size());
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else {
      on_char(i);
    }
  }
}

}  // namespace

std::size_t count_placeholders(std::string_view sql) {
  std::size_t count = 0;
  scan(sql, [&](std::size_t i) { count += sql[i] == '?' ? 1 : 0; }, [](std::size_t) {});
  return count;
}

std::string_view statement_body(std::string_view sql) {
  std::size_t end = 0;
  scan(
      sql,
      [&](std::size_t i) {
        if (sql[i] != ';' && !std::isspace(static_cast<unsigned char>(sql[i]))) end = i + 1;
      },
      [&](std::size_t quoted_end) { end = quoted_end; });
  return sql.substr(0, end);
}

}  // namespace lake::sql
