// Struct-level partition_by_bucket with 0 buckets.
// expect-error: lake: struct 'PartitionByBucketZero', partition_by\("country"\): bucket count must be at least 1
#include <lake/schema/reflect.hpp>

struct [[=lake::partition_by_bucket("country", 0)]] PartitionByBucketZero {
  std::string country;
};

int main() { (void)lake::schema_of<PartitionByBucketZero>(); }
