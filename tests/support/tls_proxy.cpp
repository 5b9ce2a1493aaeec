#include "support/tls_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace lake::testing {
namespace {

[[noreturn]] void fail_setup(const char* what) {
  ERR_print_errors_fp(stderr);
  throw std::runtime_error(std::string("TlsProxy: ") + what);
}

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail_setup("cannot make a key");
  return key;
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr || X509_add_ext(certificate, extension, -1) != 1) fail_setup("cannot add an extension");
  X509_EXTENSION_free(extension);
}

// A certificate for `key` named `common_name`, signed by `issuer_key` (and
// `issuer`, or itself when that is null), valid from an hour ago for a day.
X509* new_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key, bool is_ca,
                      long serial) {
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(certificate, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer != nullptr ? issuer : certificate;
  if (is_ca) {
    add_extension(certificate, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(certificate, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(certificate, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(certificate, signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_extension(certificate, signer, NID_ext_key_usage, "serverAuth");
  }
  if (X509_sign(certificate, issuer_key, EVP_sha256()) == 0) fail_setup("cannot sign a certificate");
  return certificate;
}

// ALPN: gRPC asks for "h2" and refuses a server that does not choose it.
int select_h2(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
              unsigned int in_length, void*) {
  static constexpr unsigned char h2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, h2, sizeof h2, in, in_length) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

}  // namespace

struct TlsProxy::Credentials {
  SSL_CTX* context = nullptr;
  ~Credentials() { SSL_CTX_free(context); }
};

TlsProxy::TlsProxy(int target_port, const std::filesystem::path& dir)
    : target_port_(target_port), ca_file_(dir / "tls-proxy-ca.pem"), credentials_(std::make_unique<Credentials>()) {
  EVP_PKEY* ca_key = new_key();
  X509* ca = new_certificate(ca_key, "lake-orm test CA", nullptr, ca_key, true, 1);
  EVP_PKEY* server_key = new_key();
  X509* server = new_certificate(server_key, "127.0.0.1", ca, ca_key, false, 2);
  {
    FILE* out = std::fopen(ca_file_.c_str(), "w");
    if (out == nullptr || PEM_write_X509(out, ca) != 1) fail_setup("cannot write the CA file");
    std::fclose(out);
  }
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate(context, server) != 1 || SSL_CTX_use_PrivateKey(context, server_key) != 1)
    fail_setup("cannot use the server certificate");
  SSL_CTX_set_alpn_select_cb(context, select_h2, nullptr);
  credentials_->context = context;
  X509_free(server);
  EVP_PKEY_free(server_key);
  X509_free(ca);
  EVP_PKEY_free(ca_key);

  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 16) != 0)
    fail_setup("cannot listen");
  socklen_t size = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsProxy::~TlsProxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  ::close(listener_);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::scoped_lock lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    connections.swap(connections_);
  }
  for (auto& connection : connections) connection.join();
}

void TlsProxy::accept_loop() {
  while (!stopping_) {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    std::scoped_lock lock(mutex_);
    if (stopping_) {
      ::close(client);
      return;
    }
    connections_.emplace_back([this, client] { serve(client); });
  }
}

// One connection: the TLS handshake, then bytes both ways until either side
// closes. One thread owns the SSL object (OpenSSL's SSL is not safe for a
// reader and a writer on two threads), polling both sockets.
void TlsProxy::serve(int client) {
  // OpenSSL writes to the socket with plain write() (the handshake,
  // SSL_write, the close_notify of SSL_shutdown), which raises SIGPIPE when
  // the peer has gone, or when the destructor has already shut the socket
  // down: that killed the whole test process once on a loaded machine.
  // With SIGPIPE blocked in this thread the write fails with EPIPE instead;
  // the signal stays pending on the thread and ends with it.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  const int server = connect_to(target_port_);
  {
    std::scoped_lock lock(mutex_);
    open_fds_.push_back(client);
    if (server >= 0) open_fds_.push_back(server);
  }
  SSL* ssl = SSL_new(credentials_->context);
  SSL_set_fd(ssl, client);
  if (server >= 0 && SSL_accept(ssl) == 1) {
    ++handshakes_;
    char buffer[16384];
    bool open = true;
    while (open && !stopping_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      // Bytes OpenSSL already decrypted count as readable.
      const int ready = SSL_pending(ssl) > 0 ? 1 : ::poll(fds, 2, 200);
      if (ready < 0) break;
      if (SSL_pending(ssl) > 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const int got = SSL_read(ssl, buffer, sizeof buffer);
        if (got <= 0) {
          const int error = SSL_get_error(ssl, got);
          if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) open = false;
        } else if (!send_all(server, buffer, static_cast<std::size_t>(got))) {
          open = false;
        }
      }
      if (open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t got = ::recv(server, buffer, sizeof buffer, 0);
        if (got <= 0 || SSL_write(ssl, buffer, static_cast<int>(got)) <= 0) open = false;
      }
    }
    if (!stopping_) SSL_shutdown(ssl);  // after the destructor's shutdown() there is no one to tell
  }
  SSL_free(ssl);
  std::scoped_lock lock(mutex_);
  std::erase(open_fds_, client);
  ::close(client);
  if (server >= 0) {
    std::erase(open_fds_, server);
    ::close(server);
  }
}

}  // namespace lake::testing
