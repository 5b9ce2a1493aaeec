// A column name with a comma.
// expect-error: lake: struct 'ColumnNameComma', member 'ab': column name "a,b" is empty or contains a character engines reject
#include <lake/schema/reflect.hpp>

struct ColumnNameComma {
  [[=lake::column("a,b")]] std::string ab;
};

int main() { (void)lake::schema_of<ColumnNameComma>(); }
