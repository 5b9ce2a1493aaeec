// A TLS front for a plaintext server on loopback, the way a Databricks
// workspace (or any TLS-terminating proxy) fronts Spark Connect: it
// accepts TLS 1.2+ with ALPN "h2" under a certificate for 127.0.0.1 and
// localhost, and passes the bytes on to the server's port unchanged.
//
// The certificate is signed by a throwaway certificate authority made when
// the proxy starts; ca_file() is that authority in PEM, for a client that
// must trust it (gRPC: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). Built with
// OpenSSL, which the client side of gRPC does not share: the handshake is
// between two independent TLS implementations.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lake::testing {

class TlsProxy {
 public:
  // Fronts 127.0.0.1:target_port; writes the CA certificate under `dir`.
  TlsProxy(int target_port, const std::filesystem::path& dir);
  ~TlsProxy();
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] const std::filesystem::path& ca_file() const noexcept { return ca_file_; }
  // Connections whose TLS handshake completed.
  [[nodiscard]] int handshakes() const noexcept { return handshakes_.load(); }

 private:
  struct Credentials;
  void accept_loop();
  void serve(int client);

  int target_port_;
  int listener_ = -1;
  int port_ = 0;
  std::filesystem::path ca_file_;
  std::unique_ptr<Credentials> credentials_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> handshakes_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::vector<int> open_fds_;
};

}  // namespace lake::testing
