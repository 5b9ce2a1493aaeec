// A member named like the system column _ingest_id.
// expect-error: lake: struct 'IngestIdMember', member '_ingest_id': "_ingest_id" is the system column lake-orm manages
#include <lake/schema/reflect.hpp>

struct IngestIdMember {
  std::string id;
  std::string _ingest_id;
};

int main() { (void)lake::schema_of<IngestIdMember>(); }
