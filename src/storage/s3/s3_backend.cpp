// lake::Backend on S3. Objects live under the root prefix of one bucket;
// PutMode::create is S3's conditional write, probed at open (see s3.hpp).
// Writers stream: small objects go up in one PUT at close, larger ones as
// a multipart upload holding one part in memory at a time.
#include <algorithm>
#include <format>

#include "lake/ingest_id.hpp"
#include "lake/storage/s3.hpp"
#include "storage/s3/credentials.hpp"
#include "storage/s3/s3_client.hpp"

namespace lake {
namespace {

using s3::S3Client;

constexpr std::int64_t kMinPartBytes = 5LL * 1024 * 1024;        // S3's minimum (all parts but the last)
constexpr std::int64_t kMaxPartBytes = 5LL * 1024 * 1024 * 1024;  // and maximum

// What the server does with If-None-Match: *, found by the probe at open.
struct ConditionalWrites {
  bool on_put = false;
  bool on_complete = false;  // CompleteMultipartUpload
};

// The guard for a create on a server without conditional writes (allowed
// only with single_writer): look first. Not atomic, hence the option.
Status refuse_if_present(S3Client& client, const std::string& full_key) {
  auto head = client.head_object(full_key);
  if (head) return fail(ErrorCode::already_exists, std::format("{} already exists", client.describe(full_key)));
  if (head.error().code() != ErrorCode::not_found) return std::unexpected(head.error());
  return {};
}

Error no_conditional(const S3Client& client, std::string_view what) {
  return Error(ErrorCode::unsupported,
               std::format("S3 server for bucket '{}' ignores If-None-Match on {}, so an exclusive create could "
                           "overwrite another writer's object; refusing (set S3Options::single_writer only if this "
                           "process is the only writer)",
                           client.bucket(), what));
}

class S3Writer final : public ObjectWriter {
 public:
  S3Writer(std::shared_ptr<S3Client> client, std::string full_key, bool create, ConditionalWrites conditional,
           std::int64_t part_bytes)
      : client_(std::move(client)), key_(std::move(full_key)), create_(create), conditional_(conditional),
        part_bytes_(static_cast<std::size_t>(part_bytes)) {}

  ~S3Writer() override {
    // Not closed, or closing failed: leave no parts behind (S3 would keep
    // them, and bill them, until a lifecycle rule removes them).
    if (!published_ && !upload_id_.empty()) (void)client_->abort_multipart_upload(key_, upload_id_);
  }

  Status write(std::span<const std::byte> data) override {
    if (published_ || failed_) return fail(ErrorCode::invalid_argument, std::format("{}: write after close", client_->describe(key_)));
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    written_ += static_cast<std::int64_t>(data.size());
    while (buffer_.size() >= part_bytes_) {
      if (auto ok = send_part(std::span(buffer_).first(part_bytes_)); !ok) return failed(ok.error());
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(part_bytes_));
    }
    return {};
  }

  Status close() override {
    if (published_) return {};
    if (failed_) return fail(*failed_);
    if (upload_id_.empty()) {
      // Small enough for one PUT.
      if (create_ && !conditional_.on_put)
        if (auto ok = refuse_if_present(*client_, key_); !ok) return failed(ok.error());
      auto put = client_->put_object(key_, buffer_, create_ && conditional_.on_put);
      if (!put) return failed(put.error());
    } else {
      if (!buffer_.empty())
        if (auto ok = send_part(buffer_); !ok) return failed(ok.error());
      if (create_ && !conditional_.on_complete)
        if (auto ok = refuse_if_present(*client_, key_); !ok) return failed(ok.error());
      auto done = client_->complete_multipart_upload(key_, upload_id_, parts_, create_ && conditional_.on_complete,
                                                     s3::multipart_etag(part_md5s_));
      if (!done) return failed(done.error());
    }
    published_ = true;
    buffer_ = {};
    return {};
  }

  std::int64_t bytes_written() const noexcept override { return written_; }

 private:
  Status send_part(std::span<const std::byte> part) {
    if (upload_id_.empty()) {
      auto id = client_->create_multipart_upload(key_);
      if (!id) return std::unexpected(id.error());
      upload_id_ = std::move(*id);
    }
    const int number = static_cast<int>(parts_.size()) + 1;
    auto etag = client_->upload_part(key_, upload_id_, number, part);
    if (!etag) return std::unexpected(etag.error());
    parts_.push_back({number, std::move(*etag)});
    part_md5s_.push_back(s3::md5_hex(part));
    return {};
  }

  Status failed(Error error) {
    failed_ = error;
    if (!upload_id_.empty()) {
      (void)client_->abort_multipart_upload(key_, upload_id_);
      upload_id_.clear();
    }
    buffer_ = {};
    return fail(std::move(error));
  }

  std::shared_ptr<S3Client> client_;
  std::string key_;
  bool create_;
  ConditionalWrites conditional_;
  std::size_t part_bytes_;
  std::vector<std::byte> buffer_;
  std::int64_t written_ = 0;
  std::string upload_id_;
  std::vector<s3::CompletedPart> parts_;
  std::vector<std::string> part_md5s_;
  bool published_ = false;
  std::optional<Error> failed_;
};

class S3Backend final : public Backend {
 public:
  S3Backend(std::shared_ptr<S3Client> client, std::string root, ConditionalWrites conditional, std::int64_t part_bytes)
      : client_(std::move(client)), root_(std::move(root)), conditional_(conditional), part_bytes_(part_bytes) {}

  std::string_view name() const noexcept override { return "s3"; }

  std::string root_uri() const override {
    std::string uri = "s3://" + client_->bucket();
    if (!root_.empty()) uri += "/" + root_.substr(0, root_.size() - 1);
    return uri;
  }

  Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override {
    if (auto ok = check_key(key); !ok) return ok;
    if (static_cast<std::int64_t>(data.size()) > part_bytes_) {
      auto writer = open_writer(key, mode);
      if (!writer) return std::unexpected(writer.error());
      if (auto ok = (*writer)->write(data); !ok) return ok;
      return (*writer)->close();
    }
    const std::string full = full_key(key);
    const bool create = mode == PutMode::create;
    if (create && !conditional_.on_put)
      if (auto ok = refuse_if_present(*client_, full); !ok) return ok;
    auto put = client_->put_object(full, data, create && conditional_.on_put);
    if (!put) return std::unexpected(put.error());
    return {};
  }

  Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override {
    if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
    return std::make_unique<S3Writer>(client_, full_key(key), mode == PutMode::create, conditional_, part_bytes_);
  }

  Result<std::vector<std::byte>> get(std::string_view key) override {
    if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
    return client_->get_object(full_key(key), std::nullopt);
  }

  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) override {
    if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
    if (offset < 0 || length < 0)
      return fail(ErrorCode::invalid_argument,
                  std::format("get_range {}: negative offset or length ({}, {})", key, offset, length));
    if (length == 0) {
      // Nothing to read, but a missing object is still not_found.
      auto head = client_->head_object(full_key(key));
      if (!head) return std::unexpected(head.error());
      return std::vector<std::byte>{};
    }
    return client_->get_object(full_key(key), std::pair{offset, offset + length - 1});
  }

  Result<ObjectInfo> head(std::string_view key) override {
    if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
    auto info = client_->head_object(full_key(key));
    if (info) info->key = std::string(key);
    return info;
  }

  Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override {
    if (auto ok = check_prefix(prefix); !ok) return std::unexpected(ok.error());
    std::vector<ObjectInfo> out;
    std::string token;
    const std::string after = start_after.empty() ? std::string() : full_key(start_after);
    do {
      auto page = client_->list_objects(full_key(prefix), after, token);
      if (!page) return std::unexpected(page.error());
      for (auto& object : page->objects) {
        object.key.erase(0, root_.size());
        out.push_back(std::move(object));
      }
      token = std::move(page->next_continuation_token);
    } while (!token.empty());
    return out;
  }

  Status remove(std::string_view key) override {
    if (auto ok = check_key(key); !ok) return ok;
    return client_->delete_object(full_key(key));
  }

  Status remove_all(std::span<const std::string> keys) override {
    std::vector<std::string> full;
    full.reserve(keys.size());
    for (const auto& key : keys) {
      if (auto ok = check_key(key); !ok) return ok;
      full.push_back(full_key(key));
    }
    return client_->delete_objects(full);
  }

 private:
  std::string full_key(std::string_view key) const { return root_ + std::string(key); }

  std::shared_ptr<S3Client> client_;
  std::string root_;  // "" or "prefix/"
  ConditionalWrites conditional_;
  std::int64_t part_bytes_;
};

// Writes a probe object, then tries to create it again with If-None-Match
// (one PUT, one single-part multipart upload): a server that honours the
// header refuses both with 412.
Result<ConditionalWrites> probe_conditional_writes(S3Client& client, const std::string& root) {
  const std::string key = root + "_lake_probe/" + IngestId::generate().to_string();
  const std::string text = "lake-orm conditional write probe";
  const auto body = std::as_bytes(std::span(text));
  if (auto put = client.put_object(key, body, true); !put)
    return std::unexpected(put.error().with_context("S3 conditional write probe"));
  ConditionalWrites found;
  auto again = client.put_object(key, body, true);
  if (!again && again.error().code() != ErrorCode::already_exists) {
    (void)client.delete_object(key);
    return std::unexpected(again.error().with_context("S3 conditional write probe"));
  }
  found.on_put = !again;
  // The same through a one-part multipart upload. Success means the server
  // replaced the object, ignoring the header; 412 means it honours it;
  // anything else is a failure of its own, reported as such.
  auto probe_error = [&](const Error& error) {
    (void)client.delete_object(key);
    return std::unexpected(error.with_context("S3 conditional write probe (multipart)"));
  };
  auto upload = client.create_multipart_upload(key);
  if (!upload) return probe_error(upload.error());
  auto part = client.upload_part(key, *upload, 1, body);
  if (!part) {
    (void)client.abort_multipart_upload(key, *upload);
    return probe_error(part.error());
  }
  const std::vector<s3::CompletedPart> parts{{1, *part}};
  const std::vector<std::string> md5s{s3::md5_hex(body)};
  auto completed = client.complete_multipart_upload(key, *upload, parts, true, s3::multipart_etag(md5s));
  (void)client.abort_multipart_upload(key, *upload);
  if (!completed && completed.error().code() != ErrorCode::already_exists) return probe_error(completed.error());
  found.on_complete = !completed;
  if (auto removed = client.delete_object(key); !removed)
    return std::unexpected(removed.error().with_context("S3 conditional write probe"));
  return found;
}

}  // namespace

Result<std::unique_ptr<Backend>> s3_backend(std::string_view uri, S3Options options) {
  constexpr std::string_view kScheme = "s3://";
  if (!uri.starts_with(kScheme))
    return fail(ErrorCode::invalid_argument, std::format("S3 URI '{}' must start with s3://", uri));
  std::string_view rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string bucket(rest.substr(0, slash));
  std::string root(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  while (root.ends_with('/')) root.pop_back();
  if (bucket.size() < 3 || bucket.size() > 63 ||
      !std::ranges::all_of(bucket, [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }))
    return fail(ErrorCode::invalid_argument,
                std::format("S3 URI '{}': bucket '{}' is not a valid bucket name (3-63 of a-z, 0-9, '-', '.')", uri, bucket));
  if (!root.empty()) {
    if (auto ok = check_key(root); !ok) return std::unexpected(ok.error().with_context(std::format("S3 URI '{}'", uri)));
    root += '/';
  }
  if (!options.endpoint.empty() && !options.endpoint.starts_with("http://") && !options.endpoint.starts_with("https://"))
    return fail(ErrorCode::invalid_argument,
                std::format("S3Options::endpoint '{}' must start with http:// or https://", options.endpoint));
  if (options.part_bytes < kMinPartBytes || options.part_bytes > kMaxPartBytes)
    return fail(ErrorCode::invalid_argument,
                std::format("S3Options::part_bytes {} is outside S3's part size limits (5 MiB to 5 GiB)", options.part_bytes));
  if (options.max_attempts < 1)
    return fail(ErrorCode::invalid_argument, std::format("S3Options::max_attempts {} must be at least 1", options.max_attempts));

  auto auth = s3::resolve_auth(options, s3::process_environment());
  if (!auth) return std::unexpected(auth.error());
  auto client = std::make_shared<S3Client>(bucket, options, std::move(auth->credentials), std::move(auth->region));
  if (auto reachable = client->check_bucket(); !reachable)
    return std::unexpected(reachable.error().with_context(std::format("opening {} (credentials from {})", uri, auth->source)));
  auto conditional = probe_conditional_writes(*client, root);
  if (!conditional) return std::unexpected(conditional.error());
  if (!options.single_writer && !conditional->on_put) return fail(no_conditional(*client, "PutObject"));
  if (!options.single_writer && !conditional->on_complete) return fail(no_conditional(*client, "CompleteMultipartUpload"));
  return std::make_unique<S3Backend>(std::move(client), std::move(root), *conditional, options.part_bytes);
}

}  // namespace lake
