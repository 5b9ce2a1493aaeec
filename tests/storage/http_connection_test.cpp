// The HTTP transport under the object-store clients keeps connections:
// consecutive requests from one thread share one, each thread has its own,
// a forked child never uses its parent's, and a request marked
// fresh_connection (an exclusive create) always opens a new one. Checked
// against a keep-alive server in the test process that counts the
// connections it accepts.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <format>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "storage/object_store/http.hpp"
#include "support/loopback_http.hpp"

namespace {

using lake::object_store::HttpRequest;
using lake::object_store::send;

// Answers every request "200 ok" and keeps the connection open for the next
// one (HTTP/1.1 keep-alive), one thread per connection.
class KeepAliveServer {
 public:
  KeepAliveServer() {
    std::tie(listener_, port_) = lake::testing::listen_on_loopback();
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  KeepAliveServer(const KeepAliveServer&) = delete;
  KeepAliveServer& operator=(const KeepAliveServer&) = delete;
  ~KeepAliveServer() {
    stopping_ = true;
    acceptor_.join();
    for (auto& connection : connections_) connection.join();
    ::close(listener_);
  }

  [[nodiscard]] std::string url() const { return std::format("http://127.0.0.1:{}/object", port_); }
  [[nodiscard]] int accepted() const { return accepted_.load(); }
  [[nodiscard]] int requests() const { return requests_.load(); }

 private:
  bool readable(int fd) const {
    while (!stopping_.load()) {
      pollfd poll_fd{.fd = fd, .events = POLLIN, .revents = 0};
      if (::poll(&poll_fd, 1, 50) > 0) return true;
    }
    return false;
  }

  void accept_loop() {
    while (readable(listener_)) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, client] {
        serve(client);
        ::close(client);
      });
    }
  }

  void serve(int client) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      // One request: the head, then Content-Length bytes of body.
      std::size_t head_end;
      while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!readable(client)) return;
        const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      std::size_t body = 0;
      if (auto at = buffer.find("Content-Length: "); at != std::string::npos && at < head_end)
        std::from_chars(buffer.data() + at + 16, buffer.data() + head_end, body);
      while (buffer.size() < head_end + 4 + body) {
        if (!readable(client)) return;
        const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      buffer.erase(0, head_end + 4 + body);
      ++requests_;
      constexpr std::string_view kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (::send(client, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // only the acceptor adds
};

bool get_ok(const std::string& url, bool fresh = false) {
  auto response = send(HttpRequest{.method = "GET", .url = url, .fresh_connection = fresh});
  return response && response->status == 200 && response->body_text() == "ok";
}

TEST(HttpConnections, ConsecutiveRequestsFromOneThreadShareAConnection) {
  KeepAliveServer server;
  // A worker thread of its own: the test's main thread may already hold a
  // connection from an earlier test.
  std::thread([&] {
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(get_ok(server.url()));
    const std::string text = "body";
    auto put = send(HttpRequest{.method = "PUT", .url = server.url(), .body = std::as_bytes(std::span(text))});
    EXPECT_TRUE(put && put->status == 200);
  }).join();
  EXPECT_EQ(server.requests(), 6);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpConnections, EachThreadHasItsOwnConnection) {
  KeepAliveServer server;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) EXPECT_TRUE(get_ok(server.url()));
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(server.requests(), 12);
  EXPECT_EQ(server.accepted(), 3);
}

TEST(HttpConnections, AFreshConnectionIsNeverAReusedOne) {
  KeepAliveServer server;
  std::thread([&] {
    EXPECT_TRUE(get_ok(server.url()));
    EXPECT_TRUE(get_ok(server.url(), true));
    EXPECT_TRUE(get_ok(server.url(), true));
  }).join();
  EXPECT_EQ(server.accepted(), 3);
}

TEST(HttpConnections, AForkedChildOpensItsOwnAndLeavesTheParentsAlone) {
  KeepAliveServer server;
  ASSERT_TRUE(get_ok(server.url()));
  const int before = server.accepted();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child inherited the parent's handle and its socket; it must make
    // its own. _exit: no gtest or static teardown in the child.
    const bool ok = get_ok(server.url()) && get_ok(server.url());
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(server.accepted(), before + 1);  // the child's one connection
  // The parent's connection is still its own and still works.
  EXPECT_TRUE(get_ok(server.url()));
  EXPECT_EQ(server.accepted(), before + 1);
}

}  // namespace
