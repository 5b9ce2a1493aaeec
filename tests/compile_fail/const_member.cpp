// A const member cannot be filled when reading rows back.
// expect-error: lake: struct 'ConstMember', member 'id': a const member cannot be read back into; drop the const
#include <lake/schema/reflect.hpp>

struct ConstMember {
  const std::string id;
  std::string name;
};

int main() { (void)lake::schema_of<ConstMember>(); }
