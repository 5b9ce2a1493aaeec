#include "drivers/spark/call_errors.hpp"

#include <optional>
#include <string>

#include "drivers/spark/spark_errors.hpp"

namespace lake::spark {
namespace {

// The report is a courtesy: a server that takes long to give it must not
// hold up the error much.
constexpr std::chrono::seconds fetch_timeout{20};

std::string last_name(const std::string& qualified) {
  const auto dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

std::optional<ServerErrorReport> fetch_report(const SparkConnectChannel& channel, const SessionIdentity& identity,
                                              const std::string& error_id) {
  ::spark::connect::FetchErrorDetailsRequest request;
  identity.stamp(request);
  request.set_error_id(error_id);
  ::spark::connect::FetchErrorDetailsResponse response;
  auto context = channel.context(fetch_timeout);
  if (!context) return std::nullopt;
  if (!channel.stub().FetchErrorDetails(context->get(), request, &response).ok()) return std::nullopt;
  if (!response.has_root_error_idx()) return std::nullopt;  // the server no longer has it
  const int size = response.errors_size();
  int at = response.root_error_idx();
  if (at < 0 || at >= size) return std::nullopt;
  ServerErrorReport report;
  report.message = response.errors(at).message();
  // The causes, outermost first; a bound and a visited check, as the
  // indices come from the wire.
  std::vector<bool> seen(static_cast<std::size_t>(size), false);
  seen[static_cast<std::size_t>(at)] = true;
  while (response.errors(at).has_cause_idx()) {
    at = response.errors(at).cause_idx();
    if (at < 0 || at >= size || seen[static_cast<std::size_t>(at)]) break;
    seen[static_cast<std::size_t>(at)] = true;
    const auto& cause = response.errors(at);
    const std::string type = cause.error_type_hierarchy_size() > 0 ? last_name(cause.error_type_hierarchy(0)) : "";
    report.causes.push_back(type.empty() ? cause.message() : type + ": " + cause.message());
  }
  return report;
}

}  // namespace

Error error_of_call(const grpc::Status& status, std::string_view context, const SparkConnectChannel& channel,
                    const SessionIdentity& identity) {
  Error error = from_grpc_status(status, context);
  const auto* detail = error.detail<SparkErrorDetail>();
  // A lost session has no errors to report, and a transport failure has no id.
  if (detail != nullptr && !detail->error_id().empty() && !session_lost(error)) {
    if (auto report = fetch_report(channel, identity, detail->error_id()))
      error = from_grpc_status(status, context, &*report);
  }
  identity.server->note_failure(error);
  return error;
}

}  // namespace lake::spark
