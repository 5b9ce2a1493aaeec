// An ignored member ("-") with another modifier, in the tag grammar.
// expect-error: lake: struct 'IgnoreWithPkTag', member 'cache': an ignored member takes no other modifiers
#include <lake/schema/reflect.hpp>

struct IgnoreWithPkTag {
  std::string id;
  [[=lake::tag("-,pk")]] std::string cache;
};

int main() { (void)lake::schema_of<IgnoreWithPkTag>(); }
