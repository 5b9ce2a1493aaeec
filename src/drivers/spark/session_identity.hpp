// Who a request comes from: the session id (a UUID the client picks; the
// server keeps temp views, SET values and running operations under it),
// the user context and the client type (free text the server logs). Every
// request of a session carries all three, executions included.
#pragma once

#include <string>

#include "spark/connect/base.pb.h"

namespace lake::spark {

struct SessionIdentity {
  std::string session_id;
  ::spark::connect::UserContext user_context{};
  std::string client_type;

  // Fills the fields every request message has under these names.
  template <class Request>
  void stamp(Request& request) const {
    request.set_session_id(session_id);
    *request.mutable_user_context() = user_context;
    request.set_client_type(client_type);
  }
};

// A random (version 4) UUID in canonical form, for session and operation ids.
[[nodiscard]] std::string random_uuid();

}  // namespace lake::spark
