#include "lake/schema/fingerprint.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "lake/schema/reflect.hpp"
#include "lake/types.hpp"

namespace {

using lake::schema_fingerprint;
using lake::schema_of;

struct Address {
  std::string city;
  std::string zip;
};

struct AddressNullableZip {
  std::string city;
  std::optional<std::string> zip;
};

// The reference table; every variant below differs from it in one respect.
struct [[=lake::table("t")]] Base {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

// --- variants that must keep the fingerprint --------------------------------

struct [[=lake::table("t")]] Reordered {
  Address address;
  lake::decimal<10, 2> amount;
  std::string name;
  std::int32_t count;
  [[=lake::pk]] std::int64_t id;
};

struct [[=lake::table("t")]] RenamedMember {
  [[=lake::pk]] std::int64_t id;
  [[=lake::column("name")]] std::string display_name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] WithValidator {
  [[=lake::pk]] std::int64_t id;
  [[=lake::validate("min=3")]] std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] TagSpelling {
  [[=lake::tag("id,pk")]] std::int64_t identifier;
  std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

// --- variants that must change it -------------------------------------------

struct [[=lake::table("other")]] OtherTable {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] RenamedColumn {
  [[=lake::pk]] std::int64_t id;
  [[=lake::column("full_name")]] std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] WiderCount {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::int64_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] OptionalCount {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::optional<std::int32_t> count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] AnnotatedNullableName {
  [[=lake::pk]] std::int64_t id;
  [[=lake::nullable]] std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] CompositeKey {
  [[=lake::pk]] std::int64_t id;
  [[=lake::pk]] std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] MergeOnName {
  [[=lake::pk]] std::int64_t id;
  [[=lake::merge_key]] std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  Address address;
};

struct [[=lake::table("t")]] NullableNestedChild {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::int32_t count;
  lake::decimal<10, 2> amount;
  AddressNullableZip address;
};

struct [[=lake::table("t")]] WiderScale {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::int32_t count;
  lake::decimal<10, 3> amount;
  Address address;
};

struct [[=lake::table("t")]] WiderPrecision {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::int32_t count;
  lake::decimal<12, 2> amount;
  Address address;
};

// --- the golden table -------------------------------------------------------

struct [[=lake::table("golden_users")]] GoldenUser {
  [[=lake::pk]] std::int64_t id;
  [[=lake::merge_key]] std::string email;
  std::optional<std::int32_t> age;
  lake::decimal<10, 2> balance;
  AddressNullableZip address;
};

template <class T>
std::string fp() {
  return schema_fingerprint(schema_of<T>());
}

TEST(SchemaFingerprint, IsSixtyFourLowerCaseHexChars) {
  std::string f = fp<Base>();
  ASSERT_EQ(f.size(), 64u);
  for (char c : f) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << f;
}

TEST(SchemaFingerprint, IsDeterministic) { EXPECT_EQ(fp<Base>(), schema_fingerprint(schema_of<Base>())); }

TEST(SchemaFingerprint, TemplateOverloadMatches) {
  EXPECT_EQ(lake::schema_fingerprint<Base>(), fp<Base>());
  EXPECT_EQ(lake::schema_fingerprint<GoldenUser>(), fp<GoldenUser>());
}

TEST(SchemaFingerprint, IgnoresDeclarationOrder) {
  EXPECT_EQ(fp<Reordered>(), fp<Base>());
  EXPECT_EQ(lake::fingerprint_text(schema_of<Reordered>()), lake::fingerprint_text(schema_of<Base>()));
}

TEST(SchemaFingerprint, IgnoresMemberNameWhenColumnIsTheSame) { EXPECT_EQ(fp<RenamedMember>(), fp<Base>()); }

TEST(SchemaFingerprint, IgnoresValidators) { EXPECT_EQ(fp<WithValidator>(), fp<Base>()); }

TEST(SchemaFingerprint, TagGrammarEqualsModifiers) { EXPECT_EQ(fp<TagSpelling>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToTableName) { EXPECT_NE(fp<OtherTable>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToColumnName) { EXPECT_NE(fp<RenamedColumn>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToColumnType) { EXPECT_NE(fp<WiderCount>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToNullability) {
  EXPECT_NE(fp<OptionalCount>(), fp<Base>());
  EXPECT_NE(fp<AnnotatedNullableName>(), fp<Base>());
}

TEST(SchemaFingerprint, SensitiveToPrimaryKeyMembership) { EXPECT_NE(fp<CompositeKey>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToMergeKeyMembership) { EXPECT_NE(fp<MergeOnName>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToNestedChildNullability) { EXPECT_NE(fp<NullableNestedChild>(), fp<Base>()); }

TEST(SchemaFingerprint, SensitiveToDecimalPrecisionAndScale) {
  EXPECT_NE(fp<WiderScale>(), fp<Base>());
  EXPECT_NE(fp<WiderPrecision>(), fp<Base>());
}

TEST(SchemaFingerprint, AllChangingVariantsAreDistinct) {
  std::set<std::string> seen{fp<Base>(),          fp<OtherTable>(),   fp<RenamedColumn>(),
                             fp<WiderCount>(),    fp<OptionalCount>(), fp<AnnotatedNullableName>(),
                             fp<CompositeKey>(),  fp<MergeOnName>(),  fp<NullableNestedChild>(),
                             fp<WiderScale>(),    fp<WiderPrecision>()};
  EXPECT_EQ(seen.size(), 11u);
}

TEST(SchemaFingerprint, CanonicalTextIsSortedAndComplete) {
  EXPECT_EQ(lake::fingerprint_text(schema_of<GoldenUser>()),
            "table golden_users\n"
            "address|struct<city:string,zip:string?>|notnull|pk=0|merge=0\n"
            "age|int32|null|pk=0|merge=0\n"
            "balance|decimal(10,2)|notnull|pk=0|merge=0\n"
            "email|string|notnull|pk=0|merge=1\n"
            "id|int64|notnull|pk=1|merge=0\n");
}

// Fingerprints are persisted and compared by other processes, other builds
// and other machines, so the value for a fixed declaration must guard
// cross-process and cross-build stability: it must never change. The golden
// was cross-checked outside the library by piping the canonical text above
// (five lines after the table line, each ending in a newline) through
//   printf '%s' "<text>" | sha256sum
// If this fails, the fingerprint format changed and every stored
// fingerprint would now report drift.
TEST(SchemaFingerprint, GoldenValueIsStable) {
  EXPECT_EQ(fp<GoldenUser>(), "af1e0613d929c5951954b2e3c438543f831ffb4e715638ae915fb088b41928c8");
}

}  // namespace
