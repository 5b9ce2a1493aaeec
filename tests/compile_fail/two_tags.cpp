// Two lake::tag annotations on one member.
// expect-error: lake: struct 'TwoTags', member 'email': more than one lake::tag\(\.\.\.\) annotation
#include <lake/schema/reflect.hpp>

struct TwoTags {
  [[=lake::tag("email,mergeKey"), =lake::tag("mail,indexed")]] std::string email;
};

int main() { (void)lake::schema_of<TwoTags>(); }
