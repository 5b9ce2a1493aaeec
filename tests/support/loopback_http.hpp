// A tiny HTTP/1.1 server on a loopback port, on its own thread, for tests
// that need to stand in for a remote endpoint (an OAuth token endpoint, a
// recording proxy in front of an emulator, a scripted object store). One
// request per connection (it answers with Connection: close), handled one
// at a time by the test's handler.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <format>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace lake::testing {

struct LoopbackRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  [[nodiscard]] std::string header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return value;
    return {};
  }
};

struct LoopbackResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
};

// A listening socket on a free loopback port: (fd, port).
inline std::pair<int, int> listen_on_loopback() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener, 64);
  socklen_t size = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  return {listener, ntohs(address.sin_port)};
}

class LoopbackHttpServer {
 public:
  using Handler = std::function<LoopbackResponse(const LoopbackRequest&)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    std::tie(listener_, port_) = listen_on_loopback();
    thread_ = std::jthread([this] { serve(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_ = {};
    ::close(listener_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return std::format("http://127.0.0.1:{}", port_); }

 private:
  void serve() {
    while (!stop_) {
      pollfd waiting{.fd = listener_, .events = POLLIN, .revents = 0};
      if (::poll(&waiting, 1, 50) <= 0) continue;
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) continue;
      handle(connection);
      ::close(connection);
    }
  }

  static bool read_more(int connection, std::string& into) {
    char buffer[64 * 1024];
    const auto n = ::recv(connection, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  void handle(int connection) {
    std::string data;
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(connection, data)) return;
    LoopbackRequest request;
    std::string_view head(data.data(), header_end);
    const auto line_end = head.find("\r\n");
    const std::string_view request_line = head.substr(0, line_end);
    const auto first_space = request_line.find(' ');
    const auto second_space = request_line.find(' ', first_space + 1);
    request.method = std::string(request_line.substr(0, first_space));
    request.target = std::string(request_line.substr(first_space + 1, second_space - first_space - 1));
    std::size_t content_length = 0;
    for (std::size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2; at < head.size();) {
      auto end = head.find("\r\n", at);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view line = head.substr(at, end - at);
      if (auto colon = line.find(':'); colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == "content-length") std::from_chars(value.data(), value.data() + value.size(), content_length);
        request.headers.emplace_back(std::move(name), std::string(value));
      }
      at = end + 2;
    }
    while (data.size() < header_end + 4 + content_length)
      if (!read_more(connection, data)) return;
    request.body = data.substr(header_end + 4, content_length);

    const LoopbackResponse response = handler_(request);
    std::string out = std::format("HTTP/1.1 {} Status\r\nConnection: close\r\nContent-Length: {}\r\n", response.status,
                                  request.method == "HEAD" ? 0 : response.body.size());
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "\r\n";
    if (request.method != "HEAD") out += response.body;
    for (std::size_t sent = 0; sent < out.size();) {
      const auto n = ::send(connection, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::jthread thread_;
};

}  // namespace lake::testing
