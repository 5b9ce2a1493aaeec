// The streaming writer shape every object store shares: bytes accumulate
// until a part (S3) or chunk (GCS) is full, then go up, so a writer holds at
// most one part being filled (plus whatever the store keeps in flight);
// close() publishes what is left, in one request when nothing went up yet.
// After a failure the writer is spent: the store's upload is abandoned
// (abort, cancel) and later calls repeat the error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lake/storage/backend.hpp"

namespace lake::object_store {

class PartedWriter : public ObjectWriter {
 public:
  // hold_back: keep the last full part buffered until more bytes come or
  // close(), for stores whose final part must carry the total (GCS).
  PartedWriter(std::size_t part_bytes, bool hold_back) : part_bytes_(part_bytes), hold_back_(hold_back) {}

  Status write(std::span<const std::byte> data) final;
  Status close() final;
  std::int64_t bytes_written() const noexcept final { return written_; }

 protected:
  [[nodiscard]] bool published() const { return published_; }
  // "s3://bucket/key" for messages.
  [[nodiscard]] virtual std::string describe() const = 0;
  // One full part, in order. The part is handed over (moved, never copied),
  // so a store may send it in the background.
  [[nodiscard]] virtual Status send_part(std::vector<std::byte> part) = 0;
  // Publishes the object: `rest` is what is still buffered (everything,
  // when no part went up).
  [[nodiscard]] virtual Status finish(std::vector<std::byte> rest) = 0;
  // Drops the store's unfinished upload, if any (after a failure).
  virtual void abandon() = 0;

 private:
  Status failed(Error error);
  void append(std::span<const std::byte> data);

  std::size_t part_bytes_;
  bool hold_back_;
  std::vector<std::byte> buffer_;  // never more than part_bytes_
  std::int64_t written_ = 0;
  bool published_ = false;
  std::optional<Error> failed_;
};

}  // namespace lake::object_store
