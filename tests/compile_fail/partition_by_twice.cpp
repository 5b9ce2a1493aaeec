// A column partitioned both on the member and on the struct.
// expect-error: lake: struct 'PartitionByTwice', partition_by\("country"\): the column is already partitioned
#include <lake/schema/reflect.hpp>

struct [[=lake::partition_by("country")]] PartitionByTwice {
  [[=lake::partition]] std::string country;
};

int main() { (void)lake::schema_of<PartitionByTwice>(); }
