// A merge key annotated nullable.
// expect-error: lake: struct 'MergeKeyNullable', member 'email': a merge key column cannot be nullable \(NULL never matches in MERGE\)
#include <lake/schema/reflect.hpp>

struct MergeKeyNullable {
  [[=lake::merge_key, =lake::nullable]] std::string email;
};

int main() { (void)lake::schema_of<MergeKeyNullable>(); }
