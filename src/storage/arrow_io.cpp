#include "lake/storage/arrow_io.hpp"

#include <arrow/buffer.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <cstring>
#include <format>

#include "core/propagate.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake {
namespace {

class BackendInputFile final : public arrow::io::RandomAccessFile {
 public:
  BackendInputFile(Backend& backend, std::string key, std::int64_t size)
      : backend_(backend), key_(std::move(key)), size_(size) {}

  arrow::Status Close() override {
    closed_ = true;
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }
  arrow::Result<std::int64_t> Tell() const override { return position_; }
  arrow::Result<std::int64_t> GetSize() override { return size_; }
  arrow::Status Seek(std::int64_t position) override {
    if (position < 0 || position > size_) return arrow::Status::Invalid(std::format("seek to {} in {}", position, key_));
    position_ = position;
    return arrow::Status::OK();
  }
  arrow::Result<std::int64_t> Read(std::int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto n, ReadAt(position_, nbytes, out));
    position_ += n;
    return n;
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(std::int64_t nbytes) override {
    ARROW_ASSIGN_OR_RAISE(auto buffer, ReadAt(position_, nbytes));
    position_ += buffer->size();
    return buffer;
  }
  arrow::Result<std::int64_t> ReadAt(std::int64_t position, std::int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto buffer, ReadAt(position, nbytes));
    std::memcpy(out, buffer->data(), static_cast<std::size_t>(buffer->size()));
    return buffer->size();
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(std::int64_t position, std::int64_t nbytes) override {
    if (closed_) return arrow::Status::Invalid(std::format("{} is closed", key_));
    if (position >= size_ || nbytes <= 0) return std::make_shared<arrow::Buffer>(nullptr, 0);
    auto bytes = backend_.get_range(key_, position, std::min(nbytes, size_ - position));
    if (!bytes) return detail::to_arrow_status(bytes.error());
    // Hand the vector's storage to Arrow without copying it.
    return std::make_shared<OwningBuffer>(std::make_shared<std::vector<std::byte>>(std::move(*bytes)));
  }

 private:
  // An Arrow buffer that owns the bytes a backend returned.
  class OwningBuffer final : public arrow::Buffer {
   public:
    explicit OwningBuffer(std::shared_ptr<std::vector<std::byte>> bytes)
        : arrow::Buffer(reinterpret_cast<const std::uint8_t*>(bytes->data()), static_cast<std::int64_t>(bytes->size())),
          bytes_(std::move(bytes)) {}

   private:
    std::shared_ptr<std::vector<std::byte>> bytes_;
  };

  Backend& backend_;
  std::string key_;
  std::int64_t size_;
  std::int64_t position_ = 0;
  bool closed_ = false;
};

class BackendOutputStream final : public arrow::io::OutputStream {
 public:
  explicit BackendOutputStream(std::unique_ptr<ObjectWriter> writer) : writer_(std::move(writer)) {}

  arrow::Status Close() override {
    if (closed_) return arrow::Status::OK();
    closed_ = true;
    if (auto status = writer_->close(); !status) return detail::to_arrow_status(status.error());
    return arrow::Status::OK();
  }
  // Dropping the stream without Close() discards the object (the writer's
  // destructor removes what was written).
  arrow::Status Abort() override {
    closed_ = true;
    writer_.reset();
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }
  arrow::Result<std::int64_t> Tell() const override { return writer_ ? writer_->bytes_written() : 0; }
  arrow::Status Write(const void* data, std::int64_t nbytes) override {
    if (closed_) return arrow::Status::Invalid("write to a closed stream");
    auto status = writer_->write({static_cast<const std::byte*>(data), static_cast<std::size_t>(nbytes)});
    if (!status) return detail::to_arrow_status(status.error());
    return arrow::Status::OK();
  }

 private:
  std::unique_ptr<ObjectWriter> writer_;
  bool closed_ = false;
};

}  // namespace

Result<std::shared_ptr<arrow::io::RandomAccessFile>> open_arrow_input(Backend& backend, std::string_view key) {
  auto info = backend.head(key);
  LAKE_RETURN_IF_ERROR(info);
  return std::make_shared<BackendInputFile>(backend, std::string(key), info->size);
}

Result<std::shared_ptr<arrow::io::OutputStream>> open_arrow_output(Backend& backend, std::string_view key,
                                                                   PutMode mode) {
  auto writer = backend.open_writer(key, mode);
  LAKE_RETURN_IF_ERROR(writer);
  return std::make_shared<BackendOutputStream>(std::move(*writer));
}

}  // namespace lake
