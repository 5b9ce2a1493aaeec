// partition=bucket: with no whole number in the tag grammar.
// expect-error: lake: struct 'PartitionBucketNotNumber', member 'country': 'partition=bucket:-4' in tag "country,partition=bucket:-4" needs a whole number after ':'
#include <lake/schema/reflect.hpp>

struct PartitionBucketNotNumber {
  [[=lake::tag("country,partition=bucket:-4")]] std::string country;
};

int main() { (void)lake::schema_of<PartitionBucketNotNumber>(); }
