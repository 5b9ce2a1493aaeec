// A column name with a space.
// expect-error: lake: struct 'ColumnNameSpace', member 'ab': column name "a b" is empty or contains a character engines reject
#include <lake/schema/reflect.hpp>

struct ColumnNameSpace {
  [[=lake::column("a b")]] std::string ab;
};

int main() { (void)lake::schema_of<ColumnNameSpace>(); }
