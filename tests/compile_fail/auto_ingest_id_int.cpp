// auto=ingestID on an integer member.
// expect-error: lake: struct 'AutoIngestIdInt', member 'batch': auto=ingestID needs a std::string member
#include <lake/schema/reflect.hpp>

struct AutoIngestIdInt {
  std::string id;
  [[=lake::tag("batch,auto=ingestID")]] std::int64_t batch;
};

int main() { (void)lake::schema_of<AutoIngestIdInt>(); }
