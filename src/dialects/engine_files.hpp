// Files read through the engine: a read-only Backend whose keys are whole
// locations as the engine names them ("s3a://bucket/t/metadata/00003-
// <id>.metadata.json", "file:/srv/t/metadata/snap-1.avro"), each read with
// Spark's binaryFile source. The Iceberg dialect reads its tables'
// metadata this way on an engine: the engine reaches every table its
// catalog has, wherever it lives, and this client's own storage may not
// (a table registered in the engine's catalog elsewhere). The metadata is
// then read by this project's one Iceberg implementation (src/iceberg).
//
// Writes, listings and removals are ErrorCode::unsupported: what an engine
// changes, it changes with SQL. Internal to the dialects.
#pragma once

#include "formats/sql_format.hpp"
#include "lake/storage/backend.hpp"

namespace lake::dialects {

class EngineFiles final : public Backend {
 public:
  // `session` must outlive this backend (one metadata read's worth).
  explicit EngineFiles(formats::SqlSession& session) : session_(session) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "engine"; }
  // No root: a key is a whole location.
  [[nodiscard]] std::string root_uri() const override { return {}; }

  [[nodiscard]] Result<std::vector<std::byte>> get(std::string_view key) override;
  [[nodiscard]] Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset,
                                                         std::int64_t length) override;
  [[nodiscard]] Result<ObjectInfo> head(std::string_view key) override;

  [[nodiscard]] Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override;
  [[nodiscard]] Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override;
  [[nodiscard]] Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override;
  [[nodiscard]] Status remove(std::string_view key) override;

 private:
  formats::SqlSession& session_;
};

}  // namespace lake::dialects
