// A TCP proxy on loopback that sits between a client and a real server and
// misbehaves on purpose: it answers 503, cuts a request mid-body, swallows a
// response the server already produced, or holds a response back.
//
// It serves one request per connection, so that the test's rule sees every
// request: it adds "Connection: close" to each request head, and the server
// then closes the connection after its answer (the client, which otherwise
// keeps connections, opens a new one for the next request). No signature
// covers that header (SigV4 signs host, content and x-amz-* headers); every
// other byte passes unchanged, so signatures still hold.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lake::testing {

struct RequestHead {
  std::string method;
  std::string target;  // path and query, as sent
};

struct Fault {
  enum class Kind {
    pass,            // forward both ways unchanged
    reply_503,       // read the request, answer 503 SlowDown; the server never sees it
    cut_request,     // forward the head and `after_bytes` of the body, then cut both sides
    drop_response,   // forward the request; when the server answers, cut the client off
    delay_response,  // forward the request; hold the server's answer back for `delay`
  };
  Kind kind = Kind::pass;
  std::size_t after_bytes = 0;
  std::chrono::milliseconds delay{0};
};

class FaultProxy {
 public:
  using Rule = std::function<Fault(const RequestHead&)>;

  // Listens on 127.0.0.1:<free port>; forwards to `upstream` ("http://host:port").
  explicit FaultProxy(const std::string& upstream);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // "http://127.0.0.1:<port>"
  [[nodiscard]] std::string endpoint() const;
  // The rule for requests from now on (default: pass everything).
  void set_rule(Rule rule);
  // Requests seen, and requests a fault other than `pass` was applied to.
  [[nodiscard]] int requests() const { return requests_.load(); }
  [[nodiscard]] int faults() const { return faults_.load(); }

 private:
  void accept_loop();
  void serve(int client);

  std::string upstream_host_;
  int upstream_port_ = 0;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> faults_{0};
  mutable std::mutex mutex_;
  Rule rule_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace lake::testing
