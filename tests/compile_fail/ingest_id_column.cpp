// A member mapped to the system column _ingest_id with lake::column.
// expect-error: lake: struct 'IngestIdColumn', member 'batch': "_ingest_id" is the system column lake-orm manages
#include <lake/schema/reflect.hpp>

struct IngestIdColumn {
  std::string id;
  [[=lake::column("_ingest_id")]] std::string batch;
};

int main() { (void)lake::schema_of<IngestIdColumn>(); }
