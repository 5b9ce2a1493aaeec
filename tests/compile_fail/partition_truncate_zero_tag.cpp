// partition=truncate:0 in the tag grammar.
// expect-error: lake: struct 'PartitionTruncateZeroTag', member 'name': partition truncate width must be at least 1
#include <lake/schema/reflect.hpp>

struct PartitionTruncateZeroTag {
  [[=lake::tag("name,partition=truncate:0")]] std::string name;
};

int main() { (void)lake::schema_of<PartitionTruncateZeroTag>(); }
