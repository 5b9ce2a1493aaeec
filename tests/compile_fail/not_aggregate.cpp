// A record must be a plain aggregate; the message should still name it.
// expect-error: lake: struct 'NotAggregate'.*aggregate
#include <lake/schema/reflect.hpp>

struct NotAggregate {
  NotAggregate() = default;
  std::string id;
};

int main() { (void)lake::schema_of<NotAggregate>(); }
