#include "lake/dialect.hpp"

namespace lake {

WritePath Dialect::route(WritePath requested, std::int64_t size, std::int64_t fast_path_threshold) const noexcept {
  if (requested != WritePath::automatic) return requested;
  return size > fast_path_threshold ? WritePath::object_storage : WritePath::direct;
}

}  // namespace lake
