// A primary key on a std::optional member.
// expect-error: lake: struct 'PkOptional', member 'id': a primary key column cannot be nullable
#include <lake/schema/reflect.hpp>
#include <optional>

struct PkOptional {
  [[=lake::pk]] std::optional<std::string> id;
};

int main() { (void)lake::schema_of<PkOptional>(); }
