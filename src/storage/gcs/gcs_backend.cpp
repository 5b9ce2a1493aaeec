// lake::Backend on GCS. Objects live under the root prefix of one bucket.
// With a service account (or anonymously, on an emulator) it speaks the
// JSON API through GcsClient; PutMode::create is ifGenerationMatch=0.
// Writers stream: small objects go up in one media upload at close, larger
// ones as a resumable upload holding one chunk in memory at a time. With
// HMAC keys it speaks the XML API, which is S3's protocol, through the S3
// backend (see s3_backend.hpp).
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <format>
#include <fstream>
#include <sstream>

#include "core/propagate.hpp"
#include "storage/object_store/retry.hpp"
#include "lake/storage/gcs.hpp"
#include "storage/gcs/gcs_client.hpp"
#include "storage/gcs/service_account.hpp"
#include "storage/object_store/bucket_uri.hpp"
#include "storage/object_store/parted_writer.hpp"
#include "storage/object_store/rooted_backend.hpp"
#include "storage/s3/s3_backend.hpp"

namespace lake {
namespace {

using gcs::GcsClient;

constexpr std::int64_t kChunkGranularity = 256 * 1024;  // resumable chunks are multiples of this
constexpr std::string_view kGoogleEndpoint = "https://storage.googleapis.com";

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// MD5 of everything a writer sent, in pieces, for recognising its own
// upload after a lost response.
class RunningMd5 {
 public:
  RunningMd5() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_.get(), EVP_md5(), nullptr); }
  void update(std::span<const std::byte> data) { EVP_DigestUpdate(context_.get(), data.data(), data.size()); }
  std::string base64() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_.get(), digest, &size);
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    out.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest,
                                                        static_cast<int>(size))));
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context_;
};

class GcsWriter final : public object_store::PartedWriter {
 public:
  // Holds the last full chunk back: the final chunk must carry the total.
  GcsWriter(std::shared_ptr<GcsClient> client, std::string full_key, bool create, std::int64_t chunk_bytes)
      : PartedWriter(static_cast<std::size_t>(chunk_bytes), true), client_(std::move(client)),
        key_(std::move(full_key)), create_(create) {}

  ~GcsWriter() override {
    // Not closed, or closing failed: end the session (GCS would drop it
    // after a week anyway).
    if (!published()) abandon();
  }

 private:
  std::string describe() const override { return client_->describe(key_); }

  Status finish(std::vector<std::byte> rest) override {
    if (session_.empty()) return client_->insert_object(key_, rest, create_);
    md5_.update(rest);
    const std::int64_t total = sent_ + static_cast<std::int64_t>(rest.size());
    auto done = client_->upload_chunk(key_, session_, rest, sent_, total, md5_.base64());
    LAKE_RETURN_IF_ERROR(done);
    return {};
  }

  // Chunks go one after another: a resumable session takes bytes in order.
  Status send_part(std::vector<std::byte> chunk) override {
    if (session_.empty()) {
      auto session = client_->start_resumable(key_, create_);
      LAKE_RETURN_IF_ERROR(session);
      session_ = std::move(*session);
    }
    auto done = client_->upload_chunk(key_, session_, chunk, sent_, std::nullopt, {});
    LAKE_RETURN_IF_ERROR(done);
    md5_.update(chunk);
    sent_ += static_cast<std::int64_t>(chunk.size());
    return {};
  }

  void abandon() override {
    if (session_.empty()) return;
    (void)client_->cancel_resumable(key_, session_);
    session_.clear();
  }

  std::shared_ptr<GcsClient> client_;
  std::string key_;
  bool create_;
  std::int64_t sent_ = 0;  // bytes the session has
  std::string session_;    // a capability: never in messages
  RunningMd5 md5_;
};

class GcsBackend final : public object_store::RootedBackend {
 public:
  GcsBackend(std::shared_ptr<GcsClient> client, std::string root, std::int64_t chunk_bytes)
      : RootedBackend(std::move(root), chunk_bytes), client_(std::move(client)), chunk_bytes_(chunk_bytes) {}

  std::string_view name() const noexcept override { return "gcs"; }
  std::string root_uri() const override { return rooted_uri("gs", client_->bucket()); }

 private:
  Status put_object(const std::string& full_key, std::span<const std::byte> data, bool create) override {
    return client_->insert_object(full_key, data, create);
  }

  std::unique_ptr<ObjectWriter> make_writer(std::string full_key, bool create) override {
    return std::make_unique<GcsWriter>(client_, std::move(full_key), create, chunk_bytes_);
  }

  Result<std::vector<std::byte>> read_object(const std::string& full_key,
                                             std::optional<std::pair<std::int64_t, std::int64_t>> range) override {
    return client_->get_object(full_key, range);
  }

  Result<ObjectInfo> stat_object(const std::string& full_key) override {
    auto metadata = client_->get_metadata(full_key);
    LAKE_RETURN_IF_ERROR(metadata);
    return std::move(metadata->info);
  }

  // GCS's startOffset is inclusive; RootedBackend drops `after` itself.
  Result<ListPage> list_page(const std::string& full_prefix, const std::string& after,
                             const std::string& token) override {
    auto page = client_->list_objects(full_prefix, after, token);
    LAKE_RETURN_IF_ERROR(page);
    return ListPage{std::move(page->objects), std::move(page->next_page_token)};
  }

  Status delete_object(const std::string& full_key) override { return client_->delete_object(full_key); }
  Status delete_objects(std::span<const std::string> full_keys) override { return client_->delete_objects(full_keys); }

  std::shared_ptr<GcsClient> client_;
  std::int64_t chunk_bytes_;
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// GCS bucket names: 3-63 characters (up to 222 with dots) of a-z, 0-9,
// '-', '_', '.', starting and ending with a letter or digit.
bool valid_bucket(std::string_view bucket) {
  auto alnum = [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); };
  const std::size_t limit = bucket.find('.') == std::string_view::npos ? 63 : 222;
  return bucket.size() >= 3 && bucket.size() <= limit && alnum(bucket.front()) && alnum(bucket.back()) &&
         std::ranges::all_of(bucket, [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

Result<std::string> read_key_file(const std::string& path, std::string_view from) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(ErrorCode::invalid_argument,
                std::format("GCS: the service-account key file '{}' ({}) cannot be read", path, from));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What signs the JSON API's requests, and where it came from (for errors).
struct JsonAuth {
  std::shared_ptr<gcs::TokenSource> tokens;  // null: anonymous
  std::string source;
};

Result<JsonAuth> service_account_auth(const std::string& key_json, std::string source, const GcsOptions& options) {
  auto key = gcs::parse_service_account_key(key_json);
  if (!key) return std::unexpected(key.error().with_context(std::format("GCS ({})", source)));
  source += std::format(", service account {}", key->client_email);
  auto tokens = gcs::ServiceAccountTokens::make(
      std::move(*key), options.oauth_scope,
      {.connection = options.connection,
       .refresh_margin = options.token_refresh_margin});
  if (!tokens) return std::unexpected(tokens.error().with_context(std::format("GCS ({})", source)));
  return JsonAuth{std::move(*tokens), std::move(source)};
}

Result<std::unique_ptr<Backend>> hmac_backend(const std::string& bucket, const std::string& root,
                                              const std::string& endpoint, const GcsOptions& options) {
  // The XML API accepts AWS Signature V4 with HMAC keys (region "auto",
  // service "s3"); generation preconditions replace If-None-Match.
  S3Options s3_options{.endpoint = endpoint,
                       .region = "auto",
                       .path_style = true,
                       .access_key_id = options.hmac_access_id,
                       .secret_access_key = options.hmac_secret,
                       .part_bytes = std::max<std::int64_t>(options.chunk_bytes, 5LL * 1024 * 1024),
                       .connection = options.connection};
  return s3::open_backend(bucket, root, s3_options,
                          {.access_key_id = options.hmac_access_id, .secret_access_key = options.hmac_secret},
                          s3::Flavour::gcs_xml, "HMAC keys from options");
}

}  // namespace

Result<std::unique_ptr<Backend>> gcs_backend(std::string_view uri, GcsOptions options) {
  auto parsed = object_store::parse_bucket_uri(
      uri, {.scheme = "gs://", .store = "GCS", .valid = valid_bucket, .allowed = "3-63 of a-z, 0-9, '-', '_', '.'"});
  LAKE_RETURN_IF_ERROR(parsed);
  const std::string bucket = std::move(parsed->bucket);
  std::string root = std::move(parsed->root);

  // The endpoint: options, then the emulator variable, then Google.
  std::string endpoint = options.endpoint;
  const std::string emulator = env("STORAGE_EMULATOR_HOST");
  const bool from_emulator_variable = endpoint.empty() && !emulator.empty();
  if (from_emulator_variable) endpoint = emulator.contains("://") ? emulator : "http://" + emulator;
  if (endpoint.empty()) endpoint = kGoogleEndpoint;
  if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://"))
    return fail(ErrorCode::invalid_argument,
                std::format("GCS endpoint '{}' must start with http:// or https://", endpoint));
  while (endpoint.ends_with('/')) endpoint.pop_back();

  if (options.chunk_bytes < kChunkGranularity || options.chunk_bytes % kChunkGranularity != 0)
    return fail(ErrorCode::invalid_argument,
                std::format("GcsOptions::chunk_bytes {} must be a positive multiple of 256 KiB", options.chunk_bytes));
  if (options.list_page_size < 1 || options.list_page_size > 1000)
    return fail(ErrorCode::invalid_argument,
                std::format("GcsOptions::list_page_size {} must be within 1 to 1,000", options.list_page_size));
  LAKE_RETURN_IF_ERROR(object_store::check_connection(options.connection, "GcsOptions"));

  // Credentials: exactly one kind from the options, else the environment.
  const bool has_key = !options.service_account_key_json.empty() || !options.service_account_key_file.empty();
  const bool has_hmac = !options.hmac_access_id.empty() || !options.hmac_secret.empty();
  if (!options.service_account_key_json.empty() && !options.service_account_key_file.empty())
    return fail(ErrorCode::invalid_argument,
                "GcsOptions: give the service-account key as JSON or as a file, not both");
  if (has_hmac && (options.hmac_access_id.empty() || options.hmac_secret.empty()))
    return fail(ErrorCode::invalid_argument, "GcsOptions: an HMAC key needs both hmac_access_id and hmac_secret");
  if (int(has_key) + int(has_hmac) + int(options.anonymous) > 1)
    return fail(ErrorCode::invalid_argument,
                "GcsOptions: choose one kind of credentials (a service-account key, an HMAC key, or anonymous)");
  if (options.anonymous && endpoint == kGoogleEndpoint)
    return fail(ErrorCode::invalid_argument,
                "GcsOptions::anonymous is for emulators; Google's endpoint needs a service-account or HMAC key");

  if (has_hmac) return hmac_backend(bucket, root, endpoint, options);

  JsonAuth auth{.tokens = nullptr, .source = "anonymous"};
  if (!options.service_account_key_json.empty()) {
    auto made = service_account_auth(options.service_account_key_json, "key from options", options);
    LAKE_RETURN_IF_ERROR(made);
    auth = std::move(*made);
  } else if (!options.service_account_key_file.empty() || (!options.anonymous && !from_emulator_variable &&
                                                           !env("GOOGLE_APPLICATION_CREDENTIALS").empty())) {
    const bool from_options = !options.service_account_key_file.empty();
    const std::string path = from_options ? options.service_account_key_file : env("GOOGLE_APPLICATION_CREDENTIALS");
    const std::string source = from_options ? "key file from options" : "GOOGLE_APPLICATION_CREDENTIALS";
    auto text = read_key_file(path, source);
    LAKE_RETURN_IF_ERROR(text);
    auto made = service_account_auth(*text, std::format("{} '{}'", source, path), options);
    LAKE_RETURN_IF_ERROR(made);
    auth = std::move(*made);
  } else if (!options.anonymous && !from_emulator_variable) {
    return fail(ErrorCode::invalid_argument,
                "GCS: no credentials (give GcsOptions a service-account key or an HMAC key, set "
                "GOOGLE_APPLICATION_CREDENTIALS, or STORAGE_EMULATOR_HOST for an emulator)");
  }

  auto client = std::make_shared<GcsClient>(gcs::ClientConfig{.endpoint = endpoint,
                                                              .bucket = bucket,
                                                              .connection = options.connection,
                                                              .list_page_size = options.list_page_size},
                                            std::move(auth.tokens));
  if (auto reachable = client->check_bucket(); !reachable)
    return std::unexpected(
        reachable.error().with_context(std::format("opening {} (credentials: {})", uri, auth.source)));
  return std::make_unique<GcsBackend>(std::move(client), std::move(root), options.chunk_bytes);
}

}  // namespace lake
