// lake::Backend on S3 (and on GCS's XML API, see s3_backend.hpp). Objects
// live under the root prefix of one bucket; PutMode::create is S3's
// conditional write, probed at open (see s3.hpp). Writers stream: small
// objects go up in one PUT at close, larger ones as a multipart upload
// whose parts go up in the background, a bounded number at a time.
#include "storage/s3/s3_backend.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <format>
#include <future>
#include <system_error>

#include "core/propagate.hpp"
#include "storage/object_store/retry.hpp"
#include "lake/ingest_id.hpp"
#include "lake/storage/s3.hpp"
#include "storage/object_store/bucket_uri.hpp"
#include "storage/object_store/parted_writer.hpp"
#include "storage/object_store/rooted_backend.hpp"
#include "storage/s3/credentials.hpp"
#include "storage/s3/s3_client.hpp"

namespace lake {
namespace {

using s3::S3Client;

constexpr std::int64_t kMinPartBytes = 5LL * 1024 * 1024;        // S3's minimum (all parts but the last)
constexpr std::int64_t kMaxPartBytes = 5LL * 1024 * 1024 * 1024;  // and maximum
constexpr int kMaxPartsInFlight = 64;  // a thread and a part buffer each

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
  const bool gcs = client.flavour() == s3::Flavour::gcs_xml;
  return Error(ErrorCode::unsupported,
               std::format("{} server for bucket '{}' ignores {} on {}, so an exclusive create could "
                           "overwrite another writer's object; refusing{}",
                           gcs ? "GCS XML API" : "S3", client.bucket(),
                           gcs ? "x-goog-if-generation-match" : "If-None-Match", what,
                           gcs ? "" : " (set S3Options::single_writer only if this process is the only writer)"));
}

// Parts go up in the background, at most `parts_in_flight` at a time, while
// the caller fills the next one: a writer holds at most parts_in_flight + 1
// parts. Each part is checked (its ETag collected) in order, so the first
// failure stops the upload and is the one reported.
class S3Writer final : public object_store::PartedWriter {
 public:
  S3Writer(std::shared_ptr<S3Client> client, std::string full_key, bool create, ConditionalWrites conditional,
           std::int64_t part_bytes, int parts_in_flight)
      : PartedWriter(static_cast<std::size_t>(part_bytes), false), client_(std::move(client)),
        key_(std::move(full_key)), create_(create), conditional_(conditional),
        parts_in_flight_(static_cast<std::size_t>(parts_in_flight)) {}

  ~S3Writer() override {
    // Not closed, or closing failed: leave no parts behind (S3 would keep
    // them, and bill them, until a lifecycle rule removes them).
    if (!published()) abandon();
  }

 private:
  std::string describe() const override { return client_->describe(key_); }

  Status finish(std::vector<std::byte> rest) override {
    if (upload_id_.empty()) {
      // Small enough for one PUT.
      if (create_ && !conditional_.on_put)
        LAKE_RETURN_IF_ERROR(refuse_if_present(*client_, key_));
      auto put = client_->put_object(key_, rest, create_ && conditional_.on_put);
      LAKE_RETURN_IF_ERROR(put);
      return {};
    }
    if (!rest.empty())
      LAKE_RETURN_IF_ERROR(send_part(std::move(rest)));
    LAKE_RETURN_IF_ERROR(settle(0));
    if (create_ && !conditional_.on_complete)
      LAKE_RETURN_IF_ERROR(refuse_if_present(*client_, key_));
    auto done = client_->complete_multipart_upload(key_, upload_id_, parts_, create_ && conditional_.on_complete,
                                                   s3::multipart_etag(part_md5s_));
    LAKE_RETURN_IF_ERROR(done);
    return {};
  }

  Status send_part(std::vector<std::byte> part) override {
    if (upload_id_.empty()) {
      auto id = client_->create_multipart_upload(key_);
      LAKE_RETURN_IF_ERROR(id);
      upload_id_ = std::move(*id);
    }
    LAKE_RETURN_IF_ERROR(settle(parts_in_flight_ - 1));
    const int number = next_number_++;
    // The task owns its part and a reference to the client; the writer
    // waits for every task before it goes (settle, abandon).
    auto upload = [client = client_, key = key_, upload_id = upload_id_, number,
                   bytes = std::move(part)]() -> Result<std::string> {
      return client->upload_part(key, upload_id, number, bytes);
    };
    try {
      in_flight_.push_back(std::async(std::launch::async, std::move(upload)));
    } catch (const std::system_error& error) {  // no thread to be had
      return fail(ErrorCode::io, std::format("{}: cannot start the upload of part {}: {}", describe(), number,
                                             error.what()));
    }
    return {};
  }

  // Waits, oldest first, until at most `keep` parts are in flight.
  Status settle(std::size_t keep) {
    while (in_flight_.size() > keep) {
      auto etag = in_flight_.front().get();
      in_flight_.pop_front();
      LAKE_RETURN_IF_ERROR(etag);
      // A part's ETag is its MD5 (quoted), which S3 computed anyway.
      std::string md5_hex = *etag;
      std::erase(md5_hex, '"');
      part_md5s_.push_back(std::move(md5_hex));
      parts_.push_back({static_cast<int>(parts_.size()) + 1, std::move(*etag)});
    }
    return {};
  }

  void abandon() override {
    // Parts still going up would otherwise land after the abort and be
    // kept (and billed) as parts of a dead upload.
    for (auto& part : in_flight_) part.wait();
    in_flight_.clear();
    if (upload_id_.empty()) return;
    (void)client_->abort_multipart_upload(key_, upload_id_);
    upload_id_.clear();
  }

  std::shared_ptr<S3Client> client_;
  std::string key_;
  bool create_;
  ConditionalWrites conditional_;
  std::size_t parts_in_flight_;
  std::string upload_id_;
  int next_number_ = 1;
  std::deque<std::future<Result<std::string>>> in_flight_;  // part ETags
  std::vector<s3::CompletedPart> parts_;  // settled, in part order
  std::vector<std::string> part_md5s_;  // from the ETags, for the object's ETag
};

class S3Backend final : public object_store::RootedBackend {
 public:
  S3Backend(std::shared_ptr<S3Client> client, std::string root, ConditionalWrites conditional, std::int64_t part_bytes,
            int parts_in_flight)
      : RootedBackend(std::move(root), part_bytes), client_(std::move(client)), conditional_(conditional),
        part_bytes_(part_bytes), parts_in_flight_(parts_in_flight) {}

  std::string_view name() const noexcept override { return gcs() ? "gcs" : "s3"; }
  std::string root_uri() const override { return rooted_uri(gcs() ? "gs" : "s3", client_->bucket()); }

 private:
  Status put_object(const std::string& full_key, std::span<const std::byte> data, bool create) override {
    if (create && !conditional_.on_put)
      LAKE_RETURN_IF_ERROR(refuse_if_present(*client_, full_key));
    auto put = client_->put_object(full_key, data, create && conditional_.on_put);
    LAKE_RETURN_IF_ERROR(put);
    return {};
  }

  std::unique_ptr<ObjectWriter> make_writer(std::string full_key, bool create) override {
    return std::make_unique<S3Writer>(client_, std::move(full_key), create, conditional_, part_bytes_,
                                      parts_in_flight_);
  }

  Result<std::vector<std::byte>> read_object(const std::string& full_key,
                                             std::optional<std::pair<std::int64_t, std::int64_t>> range) override {
    return client_->get_object(full_key, range);
  }

  Result<ObjectInfo> stat_object(const std::string& full_key) override { return client_->head_object(full_key); }

  Result<ListPage> list_page(const std::string& full_prefix, const std::string& after,
                             const std::string& token) override {
    auto page = client_->list_objects(full_prefix, after, token);
    LAKE_RETURN_IF_ERROR(page);
    return ListPage{std::move(page->objects), std::move(page->next_continuation_token)};
  }

  Status delete_object(const std::string& full_key) override { return client_->delete_object(full_key); }

  Status delete_objects(std::span<const std::string> full_keys) override {
    // GCS's XML API has no multi-object delete: one DELETE a key.
    if (gcs()) return RootedBackend::delete_objects(full_keys);
    return client_->delete_objects(full_keys);
  }

  bool gcs() const { return client_->flavour() == s3::Flavour::gcs_xml; }

  std::shared_ptr<S3Client> client_;
  ConditionalWrites conditional_;
  std::int64_t part_bytes_;
  int parts_in_flight_;
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
  auto parsed = object_store::parse_bucket_uri(
      uri, {.scheme = "s3://",
            .store = "S3",
            .valid =
                [](std::string_view bucket) {
                  return bucket.size() >= 3 && bucket.size() <= 63 && std::ranges::all_of(bucket, [](char c) {
                           return std::islower(static_cast<unsigned char>(c)) ||
                                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
                         });
                },
            .allowed = "3-63 of a-z, 0-9, '-', '.'"});
  LAKE_RETURN_IF_ERROR(parsed);
  const std::string bucket = std::move(parsed->bucket);
  std::string root = std::move(parsed->root);
  if (!options.endpoint.empty() && !options.endpoint.starts_with("http://") && !options.endpoint.starts_with("https://"))
    return fail(ErrorCode::invalid_argument,
                std::format("S3Options::endpoint '{}' must start with http:// or https://", options.endpoint));
  if (options.part_bytes < kMinPartBytes || options.part_bytes > kMaxPartBytes)
    return fail(ErrorCode::invalid_argument,
                std::format("S3Options::part_bytes {} is outside S3's part size limits (5 MiB to 5 GiB)", options.part_bytes));
  if (options.parts_in_flight < 1 || options.parts_in_flight > kMaxPartsInFlight)
    return fail(ErrorCode::invalid_argument, std::format("S3Options::parts_in_flight {} must be between 1 and {}",
                                                         options.parts_in_flight, kMaxPartsInFlight));
  LAKE_RETURN_IF_ERROR(object_store::check_connection(options.connection, "S3Options"));

  auto auth = s3::resolve_auth(options, s3::process_environment());
  LAKE_RETURN_IF_ERROR(auth);
  options.region = std::move(auth->region);
  return s3::open_backend(bucket, std::move(root), options, std::move(auth->credentials), s3::Flavour::s3,
                          auth->source);
}

namespace s3 {

Result<std::unique_ptr<Backend>> open_backend(const std::string& bucket, std::string root, const S3Options& options,
                                              Credentials credentials, Flavour flavour,
                                              std::string_view credential_source) {
  auto client = std::make_shared<S3Client>(bucket, options, std::move(credentials), options.region, flavour);
  const std::string uri = client->describe(root.empty() ? root : root.substr(0, root.size() - 1));
  if (auto reachable = client->check_bucket(); !reachable)
    return std::unexpected(
        reachable.error().with_context(std::format("opening {} (credentials from {})", uri, credential_source)));
  auto conditional = probe_conditional_writes(*client, root);
  LAKE_RETURN_IF_ERROR(conditional);
  if (!options.single_writer && !conditional->on_put) return fail(no_conditional(*client, "PutObject"));
  if (!options.single_writer && !conditional->on_complete) return fail(no_conditional(*client, "CompleteMultipartUpload"));
  return std::make_unique<S3Backend>(std::move(client), std::move(root), *conditional, options.part_bytes,
                                     options.parts_in_flight);
}

}  // namespace s3
}  // namespace lake
