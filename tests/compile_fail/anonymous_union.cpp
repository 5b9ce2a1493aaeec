// An anonymous union member has no name and is not a column type; the
// message should name the struct.
// expect-error: lake: struct 'AnonymousUnion'.*union
#include <lake/schema/reflect.hpp>

struct AnonymousUnion {
  std::string id;
  union {
    std::int64_t as_int;
    double as_double;
  };
};

int main() { (void)lake::schema_of<AnonymousUnion>(); }
