// Two columns that differ only in case (column names are case-insensitive).
// expect-error: lake: struct 'DuplicateColumnCase', member 'email': column "email" is declared twice \(column names are case-insensitive\)
#include <lake/schema/reflect.hpp>

struct DuplicateColumnCase {
  std::string Email;
  std::string email;
};

int main() { (void)lake::schema_of<DuplicateColumnCase>(); }
