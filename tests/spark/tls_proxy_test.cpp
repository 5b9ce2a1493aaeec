// The test suites' TLS front (tests/support/tls_proxy) under a client that
// leaves in the middle of a stream: the proxy's next writes to it fail, and
// must fail with an error, not raise SIGPIPE, whose default action killed
// the whole test process once on a loaded machine
// (spark.ClientTest.DatabricksConnectSpeaksTlsToTheWorkspace). OpenSSL
// writes to its socket with write(2); the proxy blocks SIGPIPE in its
// connection threads.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "support/tls_proxy.hpp"

namespace {

int listen_on_loopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 4) != 0) return -1;
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return fd;
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  return fd;
}

// A plaintext server that streams to whoever connects until it is told to
// stop (or the proxy hangs up).
class StreamingServer {
 public:
  StreamingServer() : listener_(listen_on_loopback(port_)) {
    thread_ = std::thread([this] {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::vector<char> chunk(64 * 1024, 'x');
      while (!stop_) {
        const ssize_t sent = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (sent <= 0) break;
        streamed_ += sent;
      }
      ended_ = true;
      ::close(fd);
    });
  }
  ~StreamingServer() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::int64_t streamed() const { return streamed_; }
  // The stream stopped: the proxy hung up (or the server was told to stop).
  [[nodiscard]] bool ended() const { return ended_; }

 private:
  int port_ = 0;
  int listener_;
  std::atomic<bool> stop_ = false;
  std::atomic<std::int64_t> streamed_ = 0;
  std::atomic<bool> ended_ = false;
  std::thread thread_;
};

// A TLS client of the proxy, connected and reading.
struct Client {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL* ssl = nullptr;
  int fd = -1;
  explicit Client(int port) {
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
    static const unsigned char h2[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(context, h2, sizeof h2);
    fd = connect_to(port);
    ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(context);
    if (fd >= 0) ::close(fd);
  }
  bool handshake_and_read() {
    char buffer[4096];
    return fd >= 0 && SSL_connect(ssl) == 1 && SSL_read(ssl, buffer, sizeof buffer) > 0;
  }
};

TEST(TlsProxy, AClientLeavingMidStreamDoesNotKillTheProcess) {
  StreamingServer server;
  lake::testing::TempDir dir("tls-proxy");
  lake::testing::TlsProxy proxy(server.port(), dir.path);
  {
    Client client(proxy.port());
    ASSERT_TRUE(client.handshake_and_read()) << "the server's bytes come through";
    // Leave without a word: a reset, so the proxy's next writes fail.
    linger abort{1, 0};
    ::setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  // The proxy was relaying (its writes to the client block on a full
  // buffer, or go on into it) when the client reset the connection; it
  // notices through a failing write or read and hangs up on the server.
  // (How many bytes still pass before it notices depends on timing, so
  // only the hang-up is asserted.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.ended() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(server.ended()) << "the proxy never noticed the client left";
  EXPECT_GT(server.streamed(), 0);
  EXPECT_EQ(proxy.handshakes(), 1);
  // Being here is the test: a SIGPIPE would have ended the process.
}

// The proxy stopped while a client is connected and bytes are flowing: its
// destructor shuts the sockets down under the connection thread, whose
// next write (the relay, or the close_notify of SSL_shutdown) goes into a
// socket shut for writing.
TEST(TlsProxy, StoppingWithAConnectionStreamingDoesNotKillTheProcess) {
  StreamingServer server;
  lake::testing::TempDir dir("tls-proxy");
  auto proxy = std::make_unique<lake::testing::TlsProxy>(server.port(), dir.path);
  Client client(proxy->port());
  ASSERT_TRUE(client.handshake_and_read());
  proxy.reset();
  // Being here is the test.
}

}  // namespace
