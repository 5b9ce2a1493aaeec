// The same modifier twice in the tag grammar.
// expect-error: lake: struct 'PkTwiceTag', member 'id': modifier 'pk' is given twice
#include <lake/schema/reflect.hpp>

struct PkTwiceTag {
  [[=lake::tag("id,pk,pk")]] std::string id;
};

int main() { (void)lake::schema_of<PkTwiceTag>(); }
