// Who a request comes from: the session id (a UUID the client picks; the
// server keeps temp views, SET values and running operations under it),
// the user context and the client type (free text the server logs). Every
// request of a session carries all three, executions included.
//
// It also carries the server's own id for the session
// (server_side_session_id), once a response has named it. The server makes
// a new one whenever it creates the session again (after a restart, or
// when an idle session expired), and the state the client relied on (temp
// views, settings, the current database) is gone then. A request that says
// which id the client saw is refused by such a server
// (INVALID_HANDLE.SESSION_CHANGED) rather than run in the fresh session; a
// response naming another id is refused here. Either way the session is
// marked lost, and the pool drops it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "spark/connect/base.pb.h"

namespace lake::spark {

// The server-side session id a client session has seen, shared by the
// session and its executions. Thread-safe.
class ObservedServerSession {
 public:
  // Records the id a response named (responses that name none are fine).
  // An id other than the one seen before marks the session lost and is an
  // error naming both.
  [[nodiscard]] Status observe(std::string_view server_side_session_id);
  // A failed call: errors saying the server no longer has the session
  // (INVALID_HANDLE.SESSION_*) mark it lost.
  void note_failure(const Error& error);

  [[nodiscard]] std::optional<std::string> id() const;
  // The server-side state of the session is gone: never reuse it.
  [[nodiscard]] bool lost() const noexcept { return lost_.load(); }

 private:
  mutable std::mutex mutex_;
  std::string id_;
  std::atomic<bool> lost_ = false;
};

struct SessionIdentity {
  std::string session_id;
  ::spark::connect::UserContext user_context{};
  std::string client_type;
  std::shared_ptr<ObservedServerSession> server = std::make_shared<ObservedServerSession>();

  // Fills the fields every request message has under these names, and the
  // server-side id seen so far where the message has a field for it.
  template <class Request>
  void stamp(Request& request) const {
    request.set_session_id(session_id);
    *request.mutable_user_context() = user_context;
    request.set_client_type(client_type);
    if constexpr (requires { request.set_client_observed_server_side_session_id(std::string()); }) {
      if (auto seen = server->id()) request.set_client_observed_server_side_session_id(std::move(*seen));
    }
  }

  // Checks a response against the server-side id seen so far.
  template <class Response>
  [[nodiscard]] Status observe(const Response& response) const {
    return server->observe(response.server_side_session_id());
  }
};

// A random (version 4) UUID in canonical form, for session and operation ids.
[[nodiscard]] std::string random_uuid();

}  // namespace lake::spark
