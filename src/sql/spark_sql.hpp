// Spark SQL text: quoting, type names and locations, shared by the
// dialects (their DDL and maintenance statements) and the Spark driver
// (its DML). Values never go through here: they travel as bound
// parameters. Identifiers and the locations of tables and staging do,
// because Spark cannot bind them.
#pragma once

#include <format>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/schema/schema.hpp"

namespace lake::spark_sql {

// `name`, with backticks inside doubled.
[[nodiscard]] inline std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

// 'text', with quotes and backslashes escaped (Spark's string literal
// rules: a backslash escapes the next character).
[[nodiscard]] inline std::string quote_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// The Spark SQL type of a lake column type.
[[nodiscard]] inline std::string type_name(const DataType& type) {
  switch (type.id) {
    case TypeId::boolean: return "BOOLEAN";
    case TypeId::int8: return "TINYINT";
    case TypeId::int16: return "SMALLINT";
    case TypeId::int32: return "INT";
    case TypeId::int64: return "BIGINT";
    case TypeId::float32: return "FLOAT";
    case TypeId::float64: return "DOUBLE";
    case TypeId::string: return "STRING";
    case TypeId::binary: return "BINARY";
    case TypeId::timestamp: return "TIMESTAMP";
    case TypeId::timestamp_ntz: return "TIMESTAMP_NTZ";
    case TypeId::date: return "DATE";
    case TypeId::decimal: return std::format("DECIMAL({},{})", type.precision, type.scale);
    case TypeId::list: return std::format("ARRAY<{}>", type_name(type.children.at(0).type));
    case TypeId::map:
      return std::format("MAP<{},{}>", type_name(type.children.at(0).type), type_name(type.children.at(1).type));
    case TypeId::structure: {
      std::string out = "STRUCT<";
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        const Column& child = type.children[i];
        out += std::format("{}{}: {}{}", i ? ", " : "", quote_identifier(child.name), type_name(child.type),
                           child.nullable ? "" : " NOT NULL");
      }
      return out + ">";
    }
  }
  return "STRING";
}

// "(`a` BIGINT NOT NULL, ..., `_ingest_id` STRING)": a new table's columns.
[[nodiscard]] inline std::string column_list(const Schema& schema) {
  std::string sql = "(";
  for (const Field& field : schema.fields)
    sql += std::format("{} {}{}, ", quote_identifier(field.column), type_name(field.type),
                       field.nullable ? "" : " NOT NULL");
  return sql + std::format("{} STRING)", quote_identifier(kIngestIdColumn));
}

// " TBLPROPERTIES ('k' = 'v', ...)", or "" for none.
[[nodiscard]] inline std::string properties_clause(const std::map<std::string, std::string>& properties) {
  if (properties.empty()) return {};
  std::string sql = " TBLPROPERTIES (";
  bool first = true;
  for (const auto& [key, value] : properties) {
    sql += std::format("{}{} = {}", first ? "" : ", ", quote_string(key), quote_string(value));
    first = false;
  }
  return sql + ")";
}

// "`a`, `b`": quoted column names, each after `qualifier`. when one is given.
[[nodiscard]] inline std::string identifier_list(const std::vector<std::string>& columns,
                                                 std::string_view qualifier = {}) {
  std::string out;
  for (const auto& column : columns) {
    if (!out.empty()) out += ", ";
    if (!qualifier.empty()) out += std::string(qualifier) + ".";
    out += quote_identifier(column);
  }
  return out;
}

// A storage URI as Spark's Hadoop file systems name it (s3:// is s3a://).
[[nodiscard]] inline std::string engine_uri(std::string uri) {
  if (uri.starts_with("s3://")) uri.replace(0, 5, "s3a://");
  return uri;
}

// Whether two spellings of a location are the same place (Spark says
// file:/x where the backend says file:///x).
[[nodiscard]] inline bool same_location(std::string a, std::string b) {
  for (std::string* text : {&a, &b}) {
    if (text->starts_with("file:///")) text->replace(0, 8, "file:/");
    while (text->ends_with('/')) text->pop_back();
  }
  return a == b;
}

// A file URI the engine reports under a table's root (`root_uri`, as the
// engine names it) as a backend key under the table's `location`; the URI
// itself when it is not under the root.
[[nodiscard]] inline std::string key_under(std::string uri, const std::string& root_uri, const std::string& location) {
  auto normalise = [](std::string text) {
    if (text.starts_with("file:///")) text.replace(0, 8, "file:/");
    return text;
  };
  const std::string base = normalise(root_uri.ends_with('/') ? root_uri : root_uri + "/");
  uri = normalise(std::move(uri));
  if (!uri.starts_with(base)) return uri;
  return location + "/" + uri.substr(base.size());
}

}  // namespace lake::spark_sql
