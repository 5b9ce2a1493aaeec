// std::unordered_map is not a column type (std::map<std::string, T> is).
// expect-error: lake: struct 'UnsupportedUnorderedMap', member 'attrs': type 'std::unordered_map<[^']*' is not a supported column type
#include <lake/schema/reflect.hpp>
#include <unordered_map>

struct UnsupportedUnorderedMap {
  std::string id;
  std::unordered_map<std::string, int> attrs;
};

int main() { (void)lake::schema_of<UnsupportedUnorderedMap>(); }
