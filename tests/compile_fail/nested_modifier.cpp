// Key/partition/validate modifiers do not apply inside a nested struct.
// expect-error: lake: struct 'NestedModifier', member 'address': nested member 'address.city': inside a nested struct only column names, nullable, json and ignore apply
#include <lake/schema/reflect.hpp>

struct Address {
  [[=lake::pk]] std::string city;
};

struct NestedModifier {
  std::string id;
  Address address;
};

int main() { (void)lake::schema_of<NestedModifier>(); }
