// Bucket partitioning on a floating-point member.
// expect-error: lake: struct 'PartitionBucketDouble', member 'score': partition=bucket needs an integer, string, date, timestamp, decimal or bytes column
#include <lake/schema/reflect.hpp>

struct PartitionBucketDouble {
  std::string id;
  [[=lake::partition_bucket(8)]] double score;
};

int main() { (void)lake::schema_of<PartitionBucketDouble>(); }
