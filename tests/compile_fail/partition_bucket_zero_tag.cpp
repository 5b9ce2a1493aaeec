// partition=bucket:0 in the tag grammar.
// expect-error: lake: struct 'PartitionBucketZeroTag', member 'country': partition bucket count must be at least 1
#include <lake/schema/reflect.hpp>

struct PartitionBucketZeroTag {
  [[=lake::tag("country,partition=bucket:0")]] std::string country;
};

int main() { (void)lake::schema_of<PartitionBucketZeroTag>(); }
