#include "drivers/spark/session.hpp"

#include <format>

#include "drivers/spark/arrow_batches.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/spark_types.hpp"

namespace lake::spark {
namespace {

constexpr std::string_view default_user_id = "lake-orm";
constexpr std::chrono::seconds release_session_timeout{10};

}  // namespace

Session::Session(std::shared_ptr<SparkConnectChannel> channel, SessionIdentity identity, SessionOptions options)
    : channel_(std::move(channel)), identity_(std::move(identity)), options_(options) {}

Result<std::unique_ptr<Session>> Session::open(ConnectionSettings settings, SessionOptions options) {
  SessionIdentity identity;
  identity.session_id = settings.session_id.empty() ? random_uuid() : settings.session_id;
  identity.user_context.set_user_id(settings.user_id.empty() ? std::string(default_user_id) : settings.user_id);
  // Spark logs client_type; pyspark sends "<user agent> spark/<version>
  // os/<os> python/<version>", and this says the same of us.
  identity.client_type = std::format("{} lake-orm-cpp", settings.user_agent.empty() ? "lake-orm" : settings.user_agent);
  auto channel = SparkConnectChannel::open(std::move(settings));
  if (!channel) return std::unexpected(channel.error());
  return std::unique_ptr<Session>(new Session(std::move(*channel), std::move(identity), options));
}

Result<std::unique_ptr<Session>> Session::open(std::string_view connection_string, SessionOptions options) {
  auto settings = parse_connection_string(connection_string);
  if (!settings) return std::unexpected(settings.error());
  return open(std::move(*settings), options);
}

Session::~Session() {
  ::spark::connect::ReleaseSessionRequest request;
  identity_.stamp(request);
  ::spark::connect::ReleaseSessionResponse response;
  auto context = channel_->context(release_session_timeout);
  // Best effort: the server drops idle sessions on its own after a while.
  (void)channel_->stub().ReleaseSession(context.get(), request, &response);
}

template <class Request, class Response, class Method>
Result<Response> Session::call(std::string_view name, Method method, const Request& request) {
  return with_retry(options_.retry, [&]() -> Result<Response> {
    Response response;
    auto context = channel_->context(options_.call_timeout);
    const grpc::Status status = (channel_->stub().*method)(context.get(), request, &response);
    if (!status.ok()) return fail(from_grpc_status(status, std::format("spark {} ({})", name, channel_->settings().describe())));
    return response;
  });
}

Result<std::string> Session::spark_version() {
  ::spark::connect::AnalyzePlanRequest request;
  identity_.stamp(request);
  request.mutable_spark_version();
  auto response = call<::spark::connect::AnalyzePlanRequest, ::spark::connect::AnalyzePlanResponse>(
      "AnalyzePlan", &::spark::connect::SparkConnectService::Stub::AnalyzePlan, request);
  if (!response) return std::unexpected(response.error());
  return response->spark_version().version();
}

Result<std::unique_ptr<Execution>> Session::start(::spark::connect::Plan plan) {
  return Execution::start(channel_, identity_, options_.retry, std::move(plan));
}

Result<ResultReader> Session::query(std::string_view sql, SqlArguments arguments) {
  auto relation = sql_relation(sql, arguments.positional, arguments.named);
  if (!relation) return std::unexpected(relation.error());
  ::spark::connect::Plan plan;
  *plan.mutable_root() = std::move(*relation);
  auto execution = start(std::move(plan));
  if (!execution) return std::unexpected(execution.error());
  return ResultReader(std::move(*execution));
}

Result<std::shared_ptr<arrow::Table>> Session::execute(std::string_view sql, SqlArguments arguments) {
  auto relation = sql_relation(sql, arguments.positional, arguments.named);
  if (!relation) return std::unexpected(relation.error());
  ::spark::connect::Plan plan;
  *plan.mutable_command()->mutable_sql_command()->mutable_input() = std::move(*relation);
  auto execution = start(std::move(plan));
  if (!execution) return std::unexpected(execution.error());

  // A command runs eagerly and answers with its output as a local
  // relation; a query is only analysed and comes back as a relation to run.
  std::optional<::spark::connect::Relation> returned;
  for (;;) {
    auto response = (*execution)->next();
    if (!response) return std::unexpected(response.error());
    if (!*response) break;
    if ((*response)->has_sql_command_result()) {
      returned = std::move(*(*response)->mutable_sql_command_result()->mutable_relation());
    }
  }
  if (!returned) return arrow::Table::MakeEmpty(arrow::schema({})).ValueOr(nullptr);
  if (returned->has_local_relation()) {
    if (!returned->local_relation().has_data()) return arrow::Table::MakeEmpty(arrow::schema({})).ValueOr(nullptr);
    auto decoded = decode_arrow_ipc_stream(std::move(*returned->mutable_local_relation()->mutable_data()));
    if (!decoded) return std::unexpected(decoded.error());
    auto table = arrow::Table::FromRecordBatches(decoded->schema, decoded->batches);
    if (!table.ok()) return fail(ErrorCode::internal, "spark: cannot assemble the result: " + table.status().ToString());
    return *table;
  }
  ::spark::connect::Plan query_plan;
  *query_plan.mutable_root() = std::move(*returned);
  auto query_execution = start(std::move(query_plan));
  if (!query_execution) return std::unexpected(query_execution.error());
  return ResultReader(std::move(*query_execution)).read_all();
}

Result<std::shared_ptr<arrow::Schema>> Session::analyze_schema(std::string_view sql, SqlArguments arguments) {
  auto relation = sql_relation(sql, arguments.positional, arguments.named);
  if (!relation) return std::unexpected(relation.error());
  ::spark::connect::AnalyzePlanRequest request;
  identity_.stamp(request);
  *request.mutable_schema()->mutable_plan()->mutable_root() = std::move(*relation);
  auto response = call<::spark::connect::AnalyzePlanRequest, ::spark::connect::AnalyzePlanResponse>(
      "AnalyzePlan", &::spark::connect::SparkConnectService::Stub::AnalyzePlan, request);
  if (!response) return std::unexpected(response.error());
  return to_arrow_schema(response->schema().schema());
}

Status Session::set_config(std::span<const std::pair<std::string, std::string>> pairs) {
  ::spark::connect::ConfigRequest request;
  identity_.stamp(request);
  auto* set = request.mutable_operation()->mutable_set();
  for (const auto& [key, value] : pairs) {
    auto* pair = set->add_pairs();
    pair->set_key(key);
    pair->set_value(value);
  }
  auto response = call<::spark::connect::ConfigRequest, ::spark::connect::ConfigResponse>(
      "Config", &::spark::connect::SparkConnectService::Stub::Config, request);
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<std::vector<std::optional<std::string>>> Session::get_config(std::span<const std::string> keys) {
  ::spark::connect::ConfigRequest request;
  identity_.stamp(request);
  auto* get = request.mutable_operation()->mutable_get();
  for (const auto& key : keys) get->add_keys(key);
  auto response = call<::spark::connect::ConfigRequest, ::spark::connect::ConfigResponse>(
      "Config", &::spark::connect::SparkConnectService::Stub::Config, request);
  if (!response) return std::unexpected(response.error());
  std::vector<std::optional<std::string>> values;
  for (const auto& pair : response->pairs()) {
    values.push_back(pair.has_value() ? std::optional<std::string>(pair.value()) : std::nullopt);
  }
  if (values.size() != keys.size()) {
    return fail(ErrorCode::internal, std::format("spark Config: asked for {} keys, got {} values", keys.size(), values.size()));
  }
  return values;
}

Result<bool> Session::interrupt_operation(std::string_view operation_id) {
  ::spark::connect::InterruptRequest request;
  identity_.stamp(request);
  request.set_interrupt_type(::spark::connect::InterruptRequest_InterruptType_INTERRUPT_TYPE_OPERATION_ID);
  request.set_operation_id(std::string(operation_id));
  auto response = call<::spark::connect::InterruptRequest, ::spark::connect::InterruptResponse>(
      "Interrupt", &::spark::connect::SparkConnectService::Stub::Interrupt, request);
  if (!response) return std::unexpected(response.error());
  return response->interrupted_ids_size() > 0;
}

Result<std::size_t> Session::interrupt_all() {
  ::spark::connect::InterruptRequest request;
  identity_.stamp(request);
  request.set_interrupt_type(::spark::connect::InterruptRequest_InterruptType_INTERRUPT_TYPE_ALL);
  auto response = call<::spark::connect::InterruptRequest, ::spark::connect::InterruptResponse>(
      "Interrupt", &::spark::connect::SparkConnectService::Stub::Interrupt, request);
  if (!response) return std::unexpected(response.error());
  return static_cast<std::size_t>(response->interrupted_ids_size());
}

}  // namespace lake::spark
