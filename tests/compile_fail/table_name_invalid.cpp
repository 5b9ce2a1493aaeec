// A table name with a space.
// expect-error: lake: struct 'TableNameInvalid', table name "app users" is not a valid identifier
#include <lake/schema/reflect.hpp>

struct [[=lake::table("app users")]] TableNameInvalid {
  std::string id;
};

int main() { (void)lake::schema_of<TableNameInvalid>(); }
