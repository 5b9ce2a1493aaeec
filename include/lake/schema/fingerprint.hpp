// Schema fingerprints: a SHA-256 over the parts of a schema that matter to
// the table, for drift detection at start-up (Client::assert_schema).
//
// The fingerprint is
//   - stable across processes, builds and machines (no pointers, no type
//     ids, no hash-map order: a canonical text is hashed);
//   - insensitive to member declaration order (columns are sorted by name),
//     to C++ member names, validators and auto-fill (they don't change the
//     table);
//   - sensitive to the table name, column names, column types (including
//     nested types and decimal precision/scale), nullability, and primary
//     and merge key membership.
#pragma once

#include <string>

#include "lake/schema/reflect.hpp"
#include "lake/schema/schema.hpp"

namespace lake {

// The canonical text that is hashed; one line per column, sorted. Exposed
// so a mismatch can be explained by diffing two of these.
[[nodiscard]] std::string fingerprint_text(const Schema& schema);

// Lower-case hex SHA-256 of fingerprint_text(schema): 64 characters.
[[nodiscard]] std::string schema_fingerprint(const Schema& schema);

template <class T>
[[nodiscard]] const std::string& schema_fingerprint() {
  static const std::string fingerprint = schema_fingerprint(schema_of<T>());
  return fingerprint;
}

}  // namespace lake
