// std::vector<bool> packs bits and has no addressable elements.
// expect-error: lake: struct 'VectorBool', member 'bits': type 'std::vector<bool>' is not a supported column type
#include <lake/schema/reflect.hpp>
#include <vector>

struct VectorBool {
  int id;
  std::vector<bool> bits;
};

int main() { (void)lake::schema_of<VectorBool>(); }
