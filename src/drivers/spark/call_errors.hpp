// A failed call as a lake::Error, with everything the server can say about
// it: the status (spark_errors), and for a Spark error that has an errorId
// the full report FetchErrorDetails returns (the whole message, which the
// status cuts at ~2 KB, and the chain of causes). The session's
// server-side state is marked lost when the error says it is gone.
//
// Used by Session (unary calls) and Execution (result streams), which both
// hold the channel and the identity the follow-up call needs.
#pragma once

#include <chrono>
#include <string_view>

#include <grpcpp/support/status.h>

#include "drivers/spark/channel.hpp"
#include "drivers/spark/session_identity.hpp"
#include "lake/error.hpp"

namespace lake::spark {

// `status` must not be OK; `context` names the call ("spark ExecutePlan").
// The FetchErrorDetails call is best effort: if it fails, the error is the
// status's alone.
[[nodiscard]] Error error_of_call(const grpc::Status& status, std::string_view context,
                                  const SparkConnectChannel& channel, const SessionIdentity& identity);

}  // namespace lake::spark
