// partition_bucket(0) on a member.
// expect-error: lake: struct 'PartitionBucketZero', member 'country': partition bucket count must be at least 1
#include <lake/schema/reflect.hpp>

struct PartitionBucketZero {
  [[=lake::partition_bucket(0)]] std::string country;
};

int main() { (void)lake::schema_of<PartitionBucketZero>(); }
