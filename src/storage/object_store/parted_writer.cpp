#include "storage/object_store/parted_writer.hpp"

#include <algorithm>
#include <format>
#include <utility>

namespace lake::object_store {

Status PartedWriter::write(std::span<const std::byte> data) {
  if (published_ || failed_)
    return fail(ErrorCode::invalid_argument, std::format("{}: write after close", describe()));
  written_ += static_cast<std::int64_t>(data.size());
  while (!data.empty()) {
    // A full buffer goes up once more bytes are known to follow (so with
    // hold_back the last full part waits for close()).
    if (buffer_.size() == part_bytes_)
      if (auto ok = send_part(std::exchange(buffer_, {})); !ok) return failed(ok.error());
    const std::size_t take = std::min(data.size(), part_bytes_ - buffer_.size());
    append(data.first(take));
    data = data.subspan(take);
  }
  if (!hold_back_ && buffer_.size() == part_bytes_)
    if (auto ok = send_part(std::exchange(buffer_, {})); !ok) return failed(ok.error());
  return {};
}

void PartedWriter::append(std::span<const std::byte> data) {
  // Grow geometrically for small objects (a commit file is a few KiB), but
  // never past one part: large objects then cost exactly part_bytes_.
  const std::size_t needed = buffer_.size() + data.size();
  if (needed > buffer_.capacity())
    buffer_.reserve(std::min(part_bytes_, std::max(needed, 2 * buffer_.capacity())));
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

Status PartedWriter::close() {
  if (published_) return {};
  if (failed_) return fail(*failed_);
  if (auto ok = finish(std::exchange(buffer_, {})); !ok) return failed(ok.error());
  published_ = true;
  return {};
}

Status PartedWriter::failed(Error error) {
  failed_ = error;
  abandon();
  buffer_ = {};
  return fail(std::move(error));
}

}  // namespace lake::object_store
