// Two members mapped to the same column with lake::column.
// expect-error: lake: struct 'DuplicateColumn', member 'mail': column "mail" is declared twice
#include <lake/schema/reflect.hpp>

struct DuplicateColumn {
  [[=lake::column("mail")]] std::string email;
  std::string mail;
};

int main() { (void)lake::schema_of<DuplicateColumn>(); }
