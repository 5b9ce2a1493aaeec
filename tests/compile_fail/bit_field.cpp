// A bit-field has no address, so it can neither be written nor read back.
// expect-error: lake: struct 'BitField', member 'flags' is a bit-field, which cannot be a column
#include <lake/schema/reflect.hpp>

struct BitField {
  int id;
  unsigned flags : 3;
};

int main() { (void)lake::schema_of<BitField>(); }
