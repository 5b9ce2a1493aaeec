// The system column in another case: column names are case-insensitive, so
// "_Ingest_Id" collides with _ingest_id.
// expect-error: lake: struct 'IngestIdColumnCase', member 'batch': "_ingest_id" is the system column lake-orm manages
#include <lake/schema/reflect.hpp>

struct IngestIdColumnCase {
  std::string id;
  [[=lake::column("_Ingest_Id")]] std::string batch;
};

int main() { (void)lake::schema_of<IngestIdColumnCase>(); }
