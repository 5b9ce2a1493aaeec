#include "lake/local.hpp"

#include <cstdlib>

#include "lake/dialect.hpp"
#include "lake/drivers/duckdb.hpp"

namespace lake::local {

std::filesystem::path default_data_dir() {
  if (const char* dir = std::getenv("LAKE_DATA_DIR"); dir != nullptr && *dir != '\0') return dir;
  return "lake-data";
}

Result<Client> open(std::filesystem::path data_dir, ClientOptions options) {
  if (data_dir.empty()) data_dir = default_data_dir();
  auto backend = file_backend(data_dir);
  if (!backend) return std::unexpected(backend.error().with_context(std::format("opening '{}'", data_dir.string())));
  return Client::open(duckdb::driver(), delta_dialect(), std::shared_ptr<Backend>(std::move(*backend)),
                      std::move(options));
}

}  // namespace lake::local
