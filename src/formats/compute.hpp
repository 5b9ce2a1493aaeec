// Arrow compute (casts, filters, takes, expression simplification) is a
// separate library since Arrow 21, and its kernels must be registered once
// per process before any of them is called. Every entry point of a format
// that uses compute calls this first.
#pragma once

#include "lake/error.hpp"

namespace lake::formats {

// Registers Arrow's compute kernels (once; later calls return the first
// outcome).
[[nodiscard]] Status ensure_compute_initialized();

}  // namespace lake::formats
