#include "storage/object_store/parted_writer.hpp"

#include <format>

namespace lake::object_store {

Status PartedWriter::write(std::span<const std::byte> data) {
  if (published_ || failed_)
    return fail(ErrorCode::invalid_argument, std::format("{}: write after close", describe()));
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  written_ += static_cast<std::int64_t>(data.size());
  while (buffer_.size() > part_bytes_ || (!hold_back_ && buffer_.size() == part_bytes_)) {
    if (auto ok = send_part(std::span(buffer_).first(part_bytes_)); !ok) return failed(ok.error());
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(part_bytes_));
  }
  return {};
}

Status PartedWriter::close() {
  if (published_) return {};
  if (failed_) return fail(*failed_);
  if (auto ok = finish(buffer_); !ok) return failed(ok.error());
  published_ = true;
  buffer_ = {};
  return {};
}

Status PartedWriter::failed(Error error) {
  failed_ = error;
  abandon();
  buffer_ = {};
  return fail(std::move(error));
}

}  // namespace lake::object_store
