#include "storage/object_store/http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <format>
#include <memory>
#include <mutex>

#include <unistd.h>

namespace lake::object_store {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The calling thread's curl handle. curl keeps live connections, DNS
// answers and TLS sessions in the handle, so keeping it between requests
// is what makes them reusable; curl_easy_reset clears the options of the
// last request and keeps those caches.
//
// After fork() the child inherits the handle and its sockets, which are
// shared with the parent's. The child never uses or closes them (closing a
// TLS connection would send close_notify on the parent's connection): it
// leaves the inherited handle alone and makes its own.
class ThreadHandle {
 public:
  ThreadHandle() = default;
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  ~ThreadHandle() {
    if (handle_ != nullptr && owner_ == ::getpid()) curl_easy_cleanup(handle_);
  }

  // A handle with default options (send() resets it after each use), or
  // null when curl cannot make one.
  CURL* get() {
    const pid_t pid = ::getpid();
    if (handle_ != nullptr && owner_ != pid) handle_ = nullptr;  // the parent's: left alone, see above
    if (handle_ == nullptr) {
      handle_ = curl_easy_init();
      owner_ = pid;
    }
    return handle_;
  }

 private:
  CURL* handle_ = nullptr;
  pid_t owner_ = 0;
};

thread_local ThreadHandle t_handle;
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Upload {
  std::span<const std::byte> body;
  std::size_t sent = 0;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& upload = *static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload.body.size() - upload.sent);
  std::memcpy(buffer, upload.body.data() + upload.sent, n);
  upload.sent += n;
  return n;
}

// curl rewinds the body when it must send the request again on a fresh
// connection (a reused one turned out closed). Without this it would send
// what is left of the body, and the server would see a short request.
int seek_body(void* user, curl_off_t offset, int origin) {
  auto& upload = *static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > upload.body.size())
    return CURL_SEEKFUNC_CANTSEEK;
  upload.sent = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& body = *static_cast<std::vector<std::byte>*>(user);
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  body.insert(body.end(), bytes, bytes + size * count);
  return size * count;
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& headers = *static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) headers.clear();  // a new response (after 100 Continue or a redirect)
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    headers.emplace_back(std::move(name), std::string(value));
  }
  return size * count;
}

// What a curl failure means for the caller: connection-level failures and
// timeouts may succeed on a retry; TLS and URL problems will not.
bool retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::expected<HttpResponse, TransportFailure> send(const HttpRequest& request) {
  global_init();
  CURL* h = t_handle.get();
  if (h == nullptr) return std::unexpected(TransportFailure{Error(ErrorCode::internal, "curl_easy_init failed"), false});
  HttpResponse response;
  Upload upload{.body = request.body};
  char error_text[CURL_ERROR_SIZE] = {};

  std::unique_ptr<curl_slist, ListDeleter> headers;
  auto add_header = [&](const std::string& line) {
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended) {
      (void)headers.release();
      headers.reset(appended);
    }
  };
  // The handle outlives this call, so it must not keep pointers to its
  // locals (error buffer, header list, callbacks' data).
  struct ResetAfterUse {
    CURL* handle;
    ~ResetAfterUse() { curl_easy_reset(handle); }
  } reset_after_use{h};
  for (const auto& [name, value] : request.headers) add_header(value.empty() ? name + ";" : name + ": " + value);
  // curl would otherwise add "Expect: 100-continue" to large uploads and
  // wait for the server's go-ahead; object stores answer directly.
  add_header("Expect:");

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connection.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<std::int64_t>(1, request.connection.stall_timeout.count() / 1000)));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, request.connection.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, request.connection.verify_tls ? 2L : 0L);
  if (!request.connection.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, request.connection.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  if (request.fresh_connection) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);

  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    // Both send the body through the read callback with a known length.
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
    if (request.method == "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    // The URL names the endpoint and object, never a credential (callers
    // whose URL is a capability give a description instead).
    std::string detail = error_text[0] ? error_text : curl_easy_strerror(code);
    const std::string what =
        request.description.empty() ? std::format("{} {}", request.method, request.url) : request.description;
    return std::unexpected(TransportFailure{Error(ErrorCode::io, std::format("{}: {}", what, detail)), retryable(code)});
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::pair<std::string, std::string> range_header(std::pair<std::int64_t, std::int64_t> range) {
  return {"Range", std::format("bytes={}-{}", range.first, range.second)};
}

std::optional<std::vector<std::byte>> take_read_body(HttpResponse& response) {
  if (response.status == 416) return std::vector<std::byte>{};
  if (response.status != 200 && response.status != 206) return std::nullopt;
  return std::move(response.body);
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~')
      out += static_cast<char>(c);
    else
      out += std::format("%{:02X}", c);
  }
  return out;
}

}  // namespace lake::object_store
