// std::optional<std::optional<T>>: a column has one NULL, so two levels of
// emptiness cannot round-trip.
// expect-error: lake: struct 'UnsupportedOptionalOptional', member 'score': type 'std::optional<std::optional<int>[^']*' is not a supported column type
#include <lake/schema/reflect.hpp>
#include <optional>

struct UnsupportedOptionalOptional {
  std::string id;
  std::optional<std::optional<int>> score;
};

int main() { (void)lake::schema_of<UnsupportedOptionalOptional>(); }
