// auto=createTime on a std::string member.
// expect-error: lake: struct 'AutoCreateTimeString', member 'created_at': auto=createTime/updateTime needs a lake::timestamp member
#include <lake/schema/reflect.hpp>

struct AutoCreateTimeString {
  std::string id;
  [[=lake::auto_create_time]] std::string created_at;
};

int main() { (void)lake::schema_of<AutoCreateTimeString>(); }
