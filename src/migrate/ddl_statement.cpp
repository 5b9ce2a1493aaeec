#include "migrate/ddl_statement.hpp"

#include <cctype>
#include <charconv>
#include <format>
#include <optional>

#include "core/propagate.hpp"

namespace lake::migrate {
namespace {

struct Token {
  enum class Kind { word, identifier, string, number, symbol, end } kind = Kind::end;
  std::string text;  // identifiers and strings unquoted; words as written
};

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  Result<std::vector<Token>> tokens() {
    std::vector<Token> out;
    while (true) {
      skip_space();
      if (at_ >= sql_.size()) break;
      const char c = sql_[at_];
      if (c == '`') {
        LAKE_ASSIGN_OR_RETURN(auto text, quoted('`', /*backslash_escapes=*/false));
        out.push_back({Token::Kind::identifier, std::move(text)});
      } else if (c == '\'') {
        LAKE_ASSIGN_OR_RETURN(auto text, quoted('\'', /*backslash_escapes=*/true));
        out.push_back({Token::Kind::string, std::move(text)});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t end = at_;
        while (end < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[end]))) ++end;
        out.push_back({Token::Kind::number, std::string(sql_.substr(at_, end - at_))});
        at_ = end;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t end = at_;
        while (end < sql_.size() && (std::isalnum(static_cast<unsigned char>(sql_[end])) || sql_[end] == '_')) ++end;
        out.push_back({Token::Kind::word, std::string(sql_.substr(at_, end - at_))});
        at_ = end;
      } else if (std::string_view("(),=<>:*.").find(c) != std::string_view::npos) {
        out.push_back({Token::Kind::symbol, std::string(1, c)});
        ++at_;
      } else {
        return fail(ErrorCode::invalid_argument, std::format("unexpected character '{}' at offset {}", c, at_));
      }
    }
    out.push_back({Token::Kind::end, ""});
    return out;
  }

 private:
  void skip_space() {
    while (at_ < sql_.size() && std::isspace(static_cast<unsigned char>(sql_[at_]))) ++at_;
  }
  // `name` (a doubled ` is one) or 'text' (Spark's rules: a backslash
  // escapes the next character).
  Result<std::string> quoted(char quote, bool backslash_escapes) {
    std::string text;
    for (std::size_t i = at_ + 1; i < sql_.size(); ++i) {
      const char c = sql_[i];
      if (backslash_escapes && c == '\\' && i + 1 < sql_.size()) {
        text += sql_[++i];
      } else if (c == quote) {
        if (!backslash_escapes && i + 1 < sql_.size() && sql_[i + 1] == quote) {
          text += quote;
          ++i;
        } else {
          at_ = i + 1;
          return text;
        }
      } else {
        text += c;
      }
    }
    return fail(ErrorCode::invalid_argument, std::format("an unterminated {} at offset {}", quote, at_));
  }

  std::string_view sql_;
  std::size_t at_ = 0;
};

bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

class Parser {
 public:
  Parser(std::string_view sql, std::vector<Token> tokens) : sql_(sql), tokens_(std::move(tokens)) {}

  Result<DdlStatement> statement() {
    if (accept_word("CREATE")) {
      LAKE_RETURN_IF_ERROR(expect_word("TABLE"));
      return create_table();
    }
    if (accept_word("REPLACE")) {
      LAKE_RETURN_IF_ERROR(expect_word("TABLE"));
      return replace_table();
    }
    if (accept_word("DROP")) {
      LAKE_RETURN_IF_ERROR(expect_word("TABLE"));
      DropTableStatement drop;
      LAKE_ASSIGN_OR_RETURN(drop.table, identifier("a table name"));
      LAKE_RETURN_IF_ERROR(end());
      return drop;
    }
    if (accept_word("ALTER")) {
      LAKE_RETURN_IF_ERROR(expect_word("TABLE"));
      return alter_table();
    }
    return unsupported();
  }

 private:
  const Token& peek() const { return tokens_[next_]; }
  const Token& take() { return tokens_[next_ < tokens_.size() - 1 ? next_++ : next_]; }

  bool accept_word(std::string_view word) {
    if (peek().kind != Token::Kind::word || !same_word(peek().text, word)) return false;
    ++next_;
    return true;
  }
  bool accept_symbol(std::string_view symbol) {
    if (peek().kind != Token::Kind::symbol || peek().text != symbol) return false;
    ++next_;
    return true;
  }
  Error malformed(std::string_view expected) const {
    const Token& token = peek();
    return Error(ErrorCode::invalid_argument,
                 std::format("{} expected, found {}", expected,
                             token.kind == Token::Kind::end ? std::string("the end") : "'" + token.text + "'"));
  }
  Status expect_word(std::string_view word) {
    if (!accept_word(word)) return std::unexpected(malformed(word));
    return {};
  }
  Status expect_symbol(std::string_view symbol) {
    if (!accept_symbol(symbol)) return std::unexpected(malformed(std::format("'{}'", symbol)));
    return {};
  }
  Status end() {
    if (peek().kind != Token::Kind::end) return std::unexpected(malformed("the end of the statement"));
    return {};
  }
  std::unexpected<Error> unsupported() const {
    std::string start(sql_.substr(0, 60));
    if (sql_.size() > 60) start += "...";
    return fail(ErrorCode::unsupported,
                std::format("'{}' is not a statement lake-orm applies itself (it applies the DDL migrate_generate "
                            "writes; run other statements on Spark)",
                            start));
  }

  Result<std::string> identifier(std::string_view what) {
    if (peek().kind != Token::Kind::identifier && peek().kind != Token::Kind::word)
      return std::unexpected(malformed(what));
    return take().text;
  }
  Result<std::string> string_literal(std::string_view what) {
    if (peek().kind != Token::Kind::string) return std::unexpected(malformed(what));
    return take().text;
  }
  Result<std::int64_t> number(std::string_view what) {
    if (peek().kind != Token::Kind::number) return std::unexpected(malformed(what));
    const std::string& text = take().text;
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{}) return std::unexpected(malformed(what));
    return value;
  }

  Result<DataType> type() {
    if (peek().kind != Token::Kind::word) return std::unexpected(malformed("a type"));
    const std::string name = take().text;
    static constexpr std::pair<std::string_view, TypeId> kPrimitives[] = {
        {"BOOLEAN", TypeId::boolean}, {"TINYINT", TypeId::int8},         {"SMALLINT", TypeId::int16},
        {"INT", TypeId::int32},       {"BIGINT", TypeId::int64},         {"FLOAT", TypeId::float32},
        {"DOUBLE", TypeId::float64},  {"STRING", TypeId::string},        {"BINARY", TypeId::binary},
        {"TIMESTAMP", TypeId::timestamp}, {"TIMESTAMP_NTZ", TypeId::timestamp_ntz}, {"DATE", TypeId::date}};
    for (auto [word, id] : kPrimitives)
      if (same_word(name, word)) return DataType(id);
    if (same_word(name, "DECIMAL")) {
      LAKE_RETURN_IF_ERROR(expect_symbol("("));
      LAKE_ASSIGN_OR_RETURN(auto precision, number("a precision"));
      LAKE_RETURN_IF_ERROR(expect_symbol(","));
      LAKE_ASSIGN_OR_RETURN(auto scale, number("a scale"));
      LAKE_RETURN_IF_ERROR(expect_symbol(")"));
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
        return fail(ErrorCode::invalid_argument, std::format("DECIMAL({},{}) is not a decimal type", precision, scale));
      return DataType::decimal(static_cast<std::uint8_t>(precision), static_cast<std::uint8_t>(scale));
    }
    if (same_word(name, "ARRAY")) {
      LAKE_RETURN_IF_ERROR(expect_symbol("<"));
      LAKE_ASSIGN_OR_RETURN(auto element, type());
      LAKE_RETURN_IF_ERROR(expect_symbol(">"));
      DataType list(TypeId::list);
      list.children.push_back({"element", std::move(element), true});
      return list;
    }
    if (same_word(name, "MAP")) {
      LAKE_RETURN_IF_ERROR(expect_symbol("<"));
      LAKE_ASSIGN_OR_RETURN(auto key, type());
      LAKE_RETURN_IF_ERROR(expect_symbol(","));
      LAKE_ASSIGN_OR_RETURN(auto value, type());
      LAKE_RETURN_IF_ERROR(expect_symbol(">"));
      DataType map(TypeId::map);
      map.children.push_back({"key", std::move(key), false});
      map.children.push_back({"value", std::move(value), true});
      return map;
    }
    if (same_word(name, "STRUCT")) {
      LAKE_RETURN_IF_ERROR(expect_symbol("<"));
      DataType structure(TypeId::structure);
      do {
        Column child;
        LAKE_ASSIGN_OR_RETURN(child.name, identifier("a field name"));
        LAKE_RETURN_IF_ERROR(expect_symbol(":"));
        LAKE_ASSIGN_OR_RETURN(child.type, type());
        child.nullable = true;
        if (accept_word("NOT")) {
          LAKE_RETURN_IF_ERROR(expect_word("NULL"));
          child.nullable = false;
        }
        structure.children.push_back(std::move(child));
      } while (accept_symbol(","));
      LAKE_RETURN_IF_ERROR(expect_symbol(">"));
      return structure;
    }
    return fail(ErrorCode::unsupported, std::format("type {} is not one lake-orm writes", name));
  }

  Result<ColumnDefinition> column_definition() {
    ColumnDefinition column;
    LAKE_ASSIGN_OR_RETURN(column.name, identifier("a column name"));
    LAKE_ASSIGN_OR_RETURN(column.type, type());
    if (accept_word("NOT")) {
      LAKE_RETURN_IF_ERROR(expect_word("NULL"));
      column.nullable = false;
    }
    return column;
  }

  Result<std::vector<ColumnDefinition>> column_list() {
    std::vector<ColumnDefinition> columns;
    LAKE_RETURN_IF_ERROR(expect_symbol("("));
    do {
      LAKE_ASSIGN_OR_RETURN(auto column, column_definition());
      columns.push_back(std::move(column));
    } while (accept_symbol(","));
    LAKE_RETURN_IF_ERROR(expect_symbol(")"));
    return columns;
  }

  // `c`, bucket(n, `c`) or truncate(w, `c`).
  Result<PartitionState> partition_term() {
    for (auto [word, kind] : {std::pair{std::string_view("bucket"), PartitionKind::bucket},
                              std::pair{std::string_view("truncate"), PartitionKind::truncate}}) {
      if (peek().kind == Token::Kind::word && same_word(peek().text, word) && tokens_[next_ + 1].text == "(") {
        next_ += 2;
        PartitionState term;
        term.kind = kind;
        LAKE_ASSIGN_OR_RETURN(term.param, number("a count or width"));
        LAKE_RETURN_IF_ERROR(expect_symbol(","));
        LAKE_ASSIGN_OR_RETURN(term.column, identifier("a column name"));
        LAKE_RETURN_IF_ERROR(expect_symbol(")"));
        return term;
      }
    }
    PartitionState term;
    LAKE_ASSIGN_OR_RETURN(term.column, identifier("a partition column"));
    return term;
  }

  Result<std::vector<PartitionState>> partitioned_by() {
    std::vector<PartitionState> terms;
    LAKE_RETURN_IF_ERROR(expect_word("BY"));
    LAKE_RETURN_IF_ERROR(expect_symbol("("));
    do {
      LAKE_ASSIGN_OR_RETURN(auto term, partition_term());
      terms.push_back(std::move(term));
    } while (accept_symbol(","));
    LAKE_RETURN_IF_ERROR(expect_symbol(")"));
    return terms;
  }

  Result<std::map<std::string, std::string>> properties() {
    std::map<std::string, std::string> out;
    LAKE_RETURN_IF_ERROR(expect_symbol("("));
    do {
      LAKE_ASSIGN_OR_RETURN(auto key, string_literal("a property name"));
      LAKE_RETURN_IF_ERROR(expect_symbol("="));
      LAKE_ASSIGN_OR_RETURN(auto value, string_literal("a property value"));
      out.insert_or_assign(std::move(key), std::move(value));
    } while (accept_symbol(","));
    LAKE_RETURN_IF_ERROR(expect_symbol(")"));
    return out;
  }

  Result<std::string> using_format() {
    LAKE_RETURN_IF_ERROR(expect_word("USING"));
    LAKE_ASSIGN_OR_RETURN(auto format, identifier("a table format"));
    for (char& c : format) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return format;
  }

  Result<DdlStatement> create_table() {
    CreateTableStatement create;
    LAKE_ASSIGN_OR_RETURN(create.table, identifier("a table name"));
    LAKE_ASSIGN_OR_RETURN(create.columns, column_list());
    LAKE_ASSIGN_OR_RETURN(create.format, using_format());
    if (accept_word("PARTITIONED")) {
      LAKE_ASSIGN_OR_RETURN(create.partitions, partitioned_by());
    }
    if (accept_word("TBLPROPERTIES")) {
      LAKE_ASSIGN_OR_RETURN(create.properties, properties());
    }
    LAKE_RETURN_IF_ERROR(end());
    return create;
  }

  Result<DdlStatement> replace_table() {
    ReplaceTableStatement replace;
    LAKE_ASSIGN_OR_RETURN(replace.table, identifier("a table name"));
    LAKE_ASSIGN_OR_RETURN(replace.format, using_format());
    if (accept_word("PARTITIONED")) {
      LAKE_ASSIGN_OR_RETURN(replace.partitions, partitioned_by());
    }
    if (accept_word("TBLPROPERTIES")) {
      LAKE_ASSIGN_OR_RETURN(replace.properties, properties());
    }
    // Only the table's own rows, whole: a rewrite, not a copy from elsewhere.
    LAKE_RETURN_IF_ERROR(expect_word("AS"));
    LAKE_RETURN_IF_ERROR(expect_word("SELECT"));
    LAKE_RETURN_IF_ERROR(expect_symbol("*"));
    LAKE_RETURN_IF_ERROR(expect_word("FROM"));
    LAKE_ASSIGN_OR_RETURN(auto source, identifier("the table itself"));
    if (source != replace.table) return unsupported();
    LAKE_RETURN_IF_ERROR(end());
    return replace;
  }

  Result<DdlStatement> alter_table() {
    LAKE_ASSIGN_OR_RETURN(auto table, identifier("a table name"));
    if (accept_word("ADD")) {
      if (accept_word("COLUMNS")) {
        AddColumnsStatement add{.table = std::move(table), .columns = {}};
        LAKE_ASSIGN_OR_RETURN(add.columns, column_list());
        LAKE_RETURN_IF_ERROR(end());
        return add;
      }
      if (!accept_word("PARTITION")) return unsupported();
      LAKE_RETURN_IF_ERROR(expect_word("FIELD"));
      PartitionFieldStatement field{.table = std::move(table), .add = true, .field = {}};
      LAKE_ASSIGN_OR_RETURN(field.field, partition_term());
      LAKE_RETURN_IF_ERROR(end());
      return field;
    }
    if (accept_word("DROP")) {
      if (accept_word("COLUMN")) {
        DropColumnStatement drop{.table = std::move(table), .column = {}};
        LAKE_ASSIGN_OR_RETURN(drop.column, identifier("a column name"));
        LAKE_RETURN_IF_ERROR(end());
        return drop;
      }
      if (!accept_word("PARTITION")) return unsupported();
      LAKE_RETURN_IF_ERROR(expect_word("FIELD"));
      PartitionFieldStatement field{.table = std::move(table), .add = false, .field = {}};
      LAKE_ASSIGN_OR_RETURN(field.field, partition_term());
      LAKE_RETURN_IF_ERROR(end());
      return field;
    }
    if (accept_word("RENAME")) {
      LAKE_RETURN_IF_ERROR(expect_word("COLUMN"));
      RenameColumnStatement rename{.table = std::move(table), .from = {}, .to = {}};
      LAKE_ASSIGN_OR_RETURN(rename.from, identifier("a column name"));
      LAKE_RETURN_IF_ERROR(expect_word("TO"));
      LAKE_ASSIGN_OR_RETURN(rename.to, identifier("the new column name"));
      LAKE_RETURN_IF_ERROR(end());
      return rename;
    }
    if (accept_word("ALTER")) {
      LAKE_RETURN_IF_ERROR(expect_word("COLUMN"));
      LAKE_ASSIGN_OR_RETURN(auto column, identifier("a column name"));
      if (accept_word("TYPE")) {
        ChangeColumnTypeStatement change{.table = std::move(table), .column = std::move(column), .type = {}};
        LAKE_ASSIGN_OR_RETURN(change.type, type());
        LAKE_RETURN_IF_ERROR(end());
        return change;
      }
      ChangeNullabilityStatement change{.table = std::move(table), .column = std::move(column), .nullable = true};
      if (accept_word("SET")) {
        change.nullable = false;
      } else if (!accept_word("DROP")) {
        return unsupported();  // a comment, a position, a default...
      }
      LAKE_RETURN_IF_ERROR(expect_word("NOT"));
      LAKE_RETURN_IF_ERROR(expect_word("NULL"));
      LAKE_RETURN_IF_ERROR(end());
      return change;
    }
    if (accept_word("SET")) {
      LAKE_RETURN_IF_ERROR(expect_word("TBLPROPERTIES"));
      SetPropertiesStatement set{.table = std::move(table), .properties = {}};
      LAKE_ASSIGN_OR_RETURN(set.properties, properties());
      LAKE_RETURN_IF_ERROR(end());
      return set;
    }
    if (accept_word("UNSET")) {
      LAKE_RETURN_IF_ERROR(expect_word("TBLPROPERTIES"));
      UnsetPropertiesStatement unset{.table = std::move(table), .keys = {}};
      LAKE_RETURN_IF_ERROR(expect_symbol("("));
      do {
        LAKE_ASSIGN_OR_RETURN(auto key, string_literal("a property name"));
        unset.keys.push_back(std::move(key));
      } while (accept_symbol(","));
      LAKE_RETURN_IF_ERROR(expect_symbol(")"));
      LAKE_RETURN_IF_ERROR(end());
      return unset;
    }
    return unsupported();
  }

  std::string_view sql_;
  std::vector<Token> tokens_;
  std::size_t next_ = 0;
};

}  // namespace

const std::string& table_of(const DdlStatement& statement) {
  return std::visit([](const auto& s) -> const std::string& { return s.table; }, statement);
}

Result<std::optional<formats::TableChange>> table_change(const DdlStatement& statement) {
  using Change = std::optional<formats::TableChange>;
  struct Visitor {
    Result<Change> operator()(const CreateTableStatement&) const { return Change{}; }
    Result<Change> operator()(const DropTableStatement&) const { return Change{}; }
    Result<Change> operator()(const ReplaceTableStatement& s) const {
      formats::Repartition rewrite{.partitioning = {}, .properties = s.properties};
      for (const auto& p : s.partitions)
        rewrite.partitioning.push_back({.column = p.column, .kind = p.kind, .param = p.param});
      return Change{std::move(rewrite)};
    }
    Result<Change> operator()(const AddColumnsStatement& s) const {
      formats::AddColumns add;
      for (const auto& column : s.columns) {
        Field field;
        field.column = column.name;
        field.type = column.type;
        field.nullable = column.nullable;
        add.columns.push_back(std::move(field));
      }
      return Change{std::move(add)};
    }
    Result<Change> operator()(const DropColumnStatement& s) const { return Change{formats::DropColumn{s.column}}; }
    Result<Change> operator()(const RenameColumnStatement& s) const {
      return Change{formats::RenameColumn{s.from, s.to}};
    }
    Result<Change> operator()(const ChangeColumnTypeStatement& s) const {
      return Change{formats::ChangeColumnType{s.column, s.type}};
    }
    Result<Change> operator()(const ChangeNullabilityStatement& s) const {
      if (!s.nullable)
        return fail(ErrorCode::unsupported,
                    std::format("ALTER COLUMN {} SET NOT NULL: neither Delta nor Iceberg makes a nullable column NOT "
                                "NULL (rows already written may hold NULL)",
                                s.column));
      return Change{formats::DropNotNull{s.column}};
    }
    Result<Change> operator()(const SetPropertiesStatement& s) const {
      return Change{formats::SetProperties{s.properties}};
    }
    Result<Change> operator()(const UnsetPropertiesStatement& s) const {
      return Change{formats::UnsetProperties{s.keys}};
    }
    Result<Change> operator()(const PartitionFieldStatement& s) const {
      return Change{formats::PartitionFieldChange{s.add, s.field.column, s.field.kind, s.field.param}};
    }
  };
  return std::visit(Visitor{}, statement);
}

Result<DdlStatement> parse_ddl(std::string_view sql) {
  auto tokens = Lexer(sql).tokens();
  if (!tokens) return std::unexpected(tokens.error().with_context(std::format("'{}'", sql.substr(0, 60))));
  auto parsed = Parser(sql, std::move(*tokens)).statement();
  if (!parsed && parsed.error().code() == ErrorCode::invalid_argument)
    return std::unexpected(parsed.error().with_context(std::format("'{}'", sql.substr(0, 60))));
  return parsed;
}

}  // namespace lake::migrate
