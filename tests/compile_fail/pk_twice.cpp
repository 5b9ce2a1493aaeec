// The same modifier twice.
// expect-error: lake: struct 'PkTwice', member 'id': modifier 'pk' is given twice
#include <lake/schema/reflect.hpp>

struct PkTwice {
  [[=lake::pk, =lake::pk]] std::string id;
};

int main() { (void)lake::schema_of<PkTwice>(); }
