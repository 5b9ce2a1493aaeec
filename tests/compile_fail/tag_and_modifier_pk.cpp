// Both spellings on one member: the Go tag grammar and an individual
// annotation (here both say pk).
// expect-error: lake: struct 'TagAndModifierPk', member 'id': both lake::tag\(\.\.\.\) and individual lake:: annotations; use one spelling per member
#include <lake/schema/reflect.hpp>

struct TagAndModifierPk {
  [[=lake::tag("id,pk"), =lake::pk]] std::string id;
};

int main() { (void)lake::schema_of<TagAndModifierPk>(); }
