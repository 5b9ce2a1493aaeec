// Both spellings on one member, with no modifier in common.
// expect-error: lake: struct 'TagAndModifier', member 'email': both lake::tag\(\.\.\.\) and individual lake:: annotations; use one spelling per member
#include <lake/schema/reflect.hpp>

struct TagAndModifier {
  [[=lake::pk]] std::string id;
  [[=lake::tag("email,mergeKey"), =lake::indexed]] std::string email;
};

int main() { (void)lake::schema_of<TagAndModifier>(); }
