#include "support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>
#include <stdexcept>
#include <string_view>

namespace lake::testing {
namespace {

constexpr int kPollMs = 50;

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Waits until `fd` is readable; false when the proxy stops first.
bool wait_readable(int fd, const std::atomic<bool>& stopping) {
  while (!stopping.load()) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, kPollMs) > 0) return true;
  }
  return false;
}

std::size_t content_length(std::string_view head) {
  std::string lower(head);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  at += 17;
  while (at < lower.size() && lower[at] == ' ') ++at;
  std::size_t value = 0;
  std::from_chars(lower.data() + at, lower.data() + lower.size(), value);
  return value;
}

int connect_to(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

FaultProxy::FaultProxy(const std::string& upstream) {
  // "http://host:port"
  std::string_view rest(upstream);
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("FaultProxy: upstream needs host:port");
  upstream_host_ = std::string(rest.substr(0, colon));
  std::from_chars(rest.data() + colon + 1, rest.data() + rest.size(), upstream_port_);

  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 64) != 0)
    throw std::runtime_error("FaultProxy: cannot listen on loopback");
  socklen_t size = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  acceptor_.join();
  for (auto& connection : connections_) connection.join();
  ::close(listener_);
}

std::string FaultProxy::endpoint() const { return std::format("http://127.0.0.1:{}", port_); }

void FaultProxy::set_rule(Rule rule) {
  std::scoped_lock lock(mutex_);
  rule_ = std::move(rule);
}

void FaultProxy::accept_loop() {
  while (wait_readable(listener_, stopping_)) {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    // Only this thread adds, and the destructor joins after it ended.
    connections_.emplace_back([this, client] {
      serve(client);
      ::close(client);
    });
  }
}

void FaultProxy::serve(int client) {
  // The request head: everything up to the blank line.
  std::string buffer;
  std::size_t head_end = std::string::npos;
  char chunk[64 * 1024];
  while (head_end == std::string::npos) {
    if (!wait_readable(client, stopping_)) return;
    const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
    if (n <= 0) return;
    buffer.append(chunk, static_cast<std::size_t>(n));
    head_end = buffer.find("\r\n\r\n");
  }
  head_end += 4;
  // One request per connection (see fault_proxy.hpp): the server is asked to
  // close after its answer. The clients never send a Connection header.
  constexpr std::string_view kClose = "Connection: close\r\n";
  buffer.insert(head_end - 2, kClose);
  head_end += kClose.size();
  RequestHead head;
  {
    const std::string_view line = std::string_view(buffer).substr(0, buffer.find("\r\n"));
    const auto first = line.find(' '), second = line.find(' ', first + 1);
    head.method = std::string(line.substr(0, first));
    head.target = std::string(line.substr(first + 1, second - first - 1));
  }
  Fault fault;
  {
    std::scoped_lock lock(mutex_);
    if (rule_) fault = rule_(head);
  }
  ++requests_;
  if (fault.kind != Fault::Kind::pass) ++faults_;

  if (fault.kind == Fault::Kind::reply_503) {
    // Take the whole body first: answering early would make the client see
    // a reset instead of the 503.
    std::size_t body_left = content_length(std::string_view(buffer).substr(0, head_end));
    body_left -= std::min(body_left, buffer.size() - head_end);
    while (body_left > 0) {
      if (!wait_readable(client, stopping_)) return;
      const ssize_t n = ::recv(client, chunk, std::min(sizeof chunk, body_left), 0);
      if (n <= 0) return;
      body_left -= static_cast<std::size_t>(n);
    }
    constexpr std::string_view kBody =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
        "<Message>Please reduce your request rate.</Message></Error>";
    const std::string response = std::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        kBody.size(), kBody);
    send_all(client, response.data(), response.size());
    return;
  }

  const int server = connect_to(upstream_host_, upstream_port_);
  if (server < 0) return;
  // Bytes of the request (head included) still allowed through.
  std::size_t allowance = fault.kind == Fault::Kind::cut_request ? head_end + fault.after_bytes : SIZE_MAX;
  auto forward_request = [&](const char* data, std::size_t size) {
    const std::size_t n = std::min(size, allowance);
    allowance -= n;
    return send_all(server, data, n);
  };
  bool ok = forward_request(buffer.data(), buffer.size());
  bool client_open = true, answered = false;
  while (ok && !stopping_.load()) {
    if (allowance == 0) break;  // cut_request: the rest of the body never arrives
    pollfd fds[2] = {{.fd = client, .events = static_cast<short>(client_open ? POLLIN : 0), .revents = 0},
                     {.fd = server, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, kPollMs) <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
      if (n <= 0) {
        client_open = false;
        ::shutdown(server, SHUT_WR);
      } else {
        ok = forward_request(chunk, static_cast<std::size_t>(n));
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!answered) {
        answered = true;
        // The server has done the request by the time its answer starts.
        if (fault.kind == Fault::Kind::drop_response) break;
        if (fault.kind == Fault::Kind::delay_response) {
          const auto until = std::chrono::steady_clock::now() + fault.delay;
          while (!stopping_.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
        }
      }
      const ssize_t n = ::recv(server, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      ok = send_all(client, chunk, static_cast<std::size_t>(n));
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::close(server);
}

}  // namespace lake::testing
