// An ignored member with another modifier.
// expect-error: lake: struct 'IgnoreWithPk', member 'cache': an ignored member takes no other modifiers
#include <lake/schema/reflect.hpp>

struct IgnoreWithPk {
  std::string id;
  [[=lake::ignore, =lake::pk]] std::string cache;
};

int main() { (void)lake::schema_of<IgnoreWithPk>(); }
