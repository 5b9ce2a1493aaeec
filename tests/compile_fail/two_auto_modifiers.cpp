// Two auto= modifiers on one member.
// expect-error: lake: struct 'TwoAutoModifiers', member 'stamp': more than one auto= modifier
#include <lake/schema/reflect.hpp>

struct TwoAutoModifiers {
  std::string id;
  [[=lake::auto_create_time, =lake::auto_update_time]] lake::timestamp stamp;
};

int main() { (void)lake::schema_of<TwoAutoModifiers>(); }
