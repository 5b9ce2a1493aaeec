// lake_tag: the canonical tag string next to the annotation spelling.
//
//   example_lake_tag [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// lake::tag("...") takes the Go library's `lake:"..."` grammar verbatim:
// the column name, then comma-separated modifiers (pk, mergeKey, indexed,
// sortable, nullable, json, required, auto=createTime|updateTime|ingestID,
// partition=raw|bucket:N|truncate:N, validate=NAME[=ARG]; "-" drops the
// member). Each modifier also exists as its own annotation. Both spellings
// below declare the same table, so they print the same schema, have the
// same fingerprint, and either struct reads what the other wrote. One
// member takes one spelling: mixing lake::tag with lake::pk & co. on the
// same member is a compile-time error. The table is DATA_DIR/lake_tag/members.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <print>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

// The tag string: one annotation per member, as a Go struct tag would be.
struct [[=lake::table("members")]] TaggedMember {
  [[=lake::tag("id,pk")]]                                      std::string id;
  [[=lake::tag("email,mergeKey,validate=email,required")]]     std::string email;
  [[=lake::tag("display_name,validate=max=40")]]               std::string name;
  [[=lake::tag("region,partition=raw,validate=len=2")]]        std::string region;
  [[=lake::tag("joined_at,auto=createTime")]]                  lake::timestamp joined_at{};
  [[=lake::tag("-")]]                                          std::string session_token{};
};

// The same table, one annotation per modifier.
struct [[=lake::table("members")]] AnnotatedMember {
  [[=lake::pk]]                                                std::string id;
  [[=lake::merge_key, =lake::validate("email"), =lake::required]] std::string email;
  [[=lake::column("display_name"), =lake::validate("max=40")]] std::string name;
  [[=lake::partition, =lake::validate("len=2")]]               std::string region;
  [[=lake::auto_create_time]]                                  lake::timestamp joined_at{};
  [[=lake::ignore]]                                            std::string session_token{};
};

}  // namespace app

namespace {

template <class T>
T check(lake::Result<T> result, const char* what) {
  if (!result) {
    std::println(stderr, "{} failed: {}", what, result.error().to_string());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();

  // 1. The schema each spelling declares: the same columns and modifiers.
  //    session_token is not a column in either; display_name is the column
  //    of the member `name`.
  std::println("{}", lake::schema_of<app::TaggedMember>().describe());
  std::println("{}", lake::schema_of<app::AnnotatedMember>().describe());

  // 2. The fingerprint hashes what matters to the table (name, columns,
  //    types, nullability, keys), so the two spellings hash alike.
  const auto& tagged = lake::schema_fingerprint<app::TaggedMember>();
  const auto& annotated = lake::schema_fingerprint<app::AnnotatedMember>();
  std::println("fingerprints: {}\n              {}\n              {}\n", tagged, annotated,
               tagged == annotated ? "identical" : "DIFFERENT");
  if (tagged != annotated) return 1;

  // 3. Interchangeable at run time too: create and write through one
  //    struct, check and read through the other.
  auto db = check(lake::local::open(dir, {.default_database = "lake_tag"}), "open");
  check(db.migrate<app::TaggedMember>(), "migrate");
  std::vector<app::TaggedMember> members{
      {.id = "m1", .email = "ada@example.com", .name = "Ada Lovelace", .region = "UK", .session_token = "s3cret"},
      {.id = "m2", .email = "grace@example.com", .name = "Grace Hopper", .region = "US"}};
  auto written = check(db.insert(members, {.on_conflict = lake::ConflictStrategy::skip}), "insert");
  check(db.assert_schema<app::AnnotatedMember>(), "assert_schema");
  std::println("wrote {} new member(s) as TaggedMember; the live table matches AnnotatedMember", written.rows_inserted);
  for (const auto& m : check(lake::query<app::AnnotatedMember>(db, "SELECT * FROM members ORDER BY id"), "query"))
    std::println("  read as AnnotatedMember: {} {:<18} {:<13} {} joined {} (session_token \"{}\": not stored)", m.id,
                 m.email, m.name, m.region, lake::format_timestamp(m.joined_at), m.session_token);
  return 0;
}
