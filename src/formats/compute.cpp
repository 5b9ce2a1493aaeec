#include "formats/compute.hpp"

#include <arrow/compute/initialize.h>

#include <mutex>
#include <optional>

#include "lake/arrow/convert.hpp"

namespace lake::formats {

Status ensure_compute_initialized() {
  static std::once_flag once;
  static std::optional<Error> failure;
  std::call_once(once, [] {
    if (auto status = arrow::compute::Initialize(); !status.ok())
      failure = lake::detail::from_arrow_status(status, "registering Arrow compute kernels");
  });
  if (failure) return fail(*failure);
  return {};
}

}  // namespace lake::formats
