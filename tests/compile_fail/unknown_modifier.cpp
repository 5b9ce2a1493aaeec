// A modifier the tag grammar does not know (Go spells it pk).
// expect-error: lake: struct 'UnknownModifier', member 'x': unknown modifier 'primaryKey' in tag "x,primaryKey"
#include <lake/schema/reflect.hpp>

struct UnknownModifier {
  [[=lake::tag("x,primaryKey")]] std::string x;
};

int main() { (void)lake::schema_of<UnknownModifier>(); }
