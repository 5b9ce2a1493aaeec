#include "drivers/spark/session.hpp"

#include <algorithm>
#include <format>
#include <limits>

#include <openssl/sha.h>
#include <zlib.h>

#include "core/propagate.hpp"
#include "drivers/spark/arrow_batches.hpp"
#include "drivers/spark/call_errors.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/spark_types.hpp"

namespace lake::spark {
namespace {

constexpr std::string_view default_user_id = "lake-orm";
constexpr std::chrono::seconds release_session_timeout{10};
// Rows up to this size travel inside the plan; larger ones as a cached
// artifact, since a plan is one gRPC message and the server refuses those
// above spark.connect.grpc.maxInboundMessageSize (128 MiB by default).
constexpr std::size_t inline_local_relation_bytes = std::size_t{16} << 20;
constexpr std::size_t artifact_chunk_bytes = std::size_t{4} << 20;

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (unsigned char byte : digest) hex += std::format("{:02x}", byte);
  return hex;
}

std::int64_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes at most a uInt per call.
  for (std::size_t at = 0; at < bytes.size(); at += std::numeric_limits<uInt>::max())
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at),
                static_cast<uInt>(std::min<std::size_t>(bytes.size() - at, std::numeric_limits<uInt>::max())));
  return static_cast<std::int64_t>(crc);
}

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
  LAKE_RETURN_IF_ERROR(channel);
  return std::unique_ptr<Session>(new Session(std::move(*channel), std::move(identity), options));
}

Result<std::unique_ptr<Session>> Session::open(std::string_view connection_string, SessionOptions options) {
  auto settings = parse_connection_string(connection_string);
  LAKE_RETURN_IF_ERROR(settings);
  return open(std::move(*settings), options);
}

Session::~Session() {
  ::spark::connect::ReleaseSessionRequest request;
  identity_.stamp(request);
  ::spark::connect::ReleaseSessionResponse response;
  // Best effort: the server drops idle sessions on its own after a while.
  auto context = channel_->context(release_session_timeout);
  if (context) (void)channel_->stub().ReleaseSession(context->get(), request, &response);
}

template <class Request, class Response, class Method>
Result<Response> Session::call(std::string_view name, Method method, const Request& request) {
  return with_retry(options_.retry, [&]() -> Result<Response> {
    Response response;
    auto context = channel_->context(options_.call_timeout);
    LAKE_RETURN_IF_ERROR(context);
    const grpc::Status status = (channel_->stub().*method)(context->get(), request, &response);
    if (!status.ok())
      return fail(error_of_call(status, std::format("spark {} ({})", name, channel_->settings().describe()), *channel_,
                                identity_));
    LAKE_RETURN_IF_ERROR(identity_.observe(response));
    return response;
  });
}

Result<std::string> Session::spark_version() {
  ::spark::connect::AnalyzePlanRequest request;
  identity_.stamp(request);
  request.mutable_spark_version();
  auto response = call<::spark::connect::AnalyzePlanRequest, ::spark::connect::AnalyzePlanResponse>(
      "AnalyzePlan", &::spark::connect::SparkConnectService::Stub::AnalyzePlan, request);
  LAKE_RETURN_IF_ERROR(response);
  return response->spark_version().version();
}

Result<std::unique_ptr<Execution>> Session::start(::spark::connect::Plan plan) {
  return Execution::start(channel_, identity_, options_.retry, std::move(plan));
}

Result<ResultReader> Session::query(std::string_view sql, SqlArguments arguments) {
  auto relation = sql_relation(sql, arguments.positional, arguments.named);
  LAKE_RETURN_IF_ERROR(relation);
  return query_relation(std::move(*relation));
}

Result<ResultReader> Session::query_relation(::spark::connect::Relation relation) {
  ::spark::connect::Plan plan;
  *plan.mutable_root() = std::move(relation);
  auto execution = start(std::move(plan));
  LAKE_RETURN_IF_ERROR(execution);
  return ResultReader(std::move(*execution));
}

Result<std::shared_ptr<arrow::Table>> Session::execute(std::string_view sql, SqlArguments arguments) {
  auto relation = sql_relation(sql, arguments.positional, arguments.named);
  LAKE_RETURN_IF_ERROR(relation);
  ::spark::connect::Plan plan;
  *plan.mutable_command()->mutable_sql_command()->mutable_input() = std::move(*relation);
  auto execution = start(std::move(plan));
  LAKE_RETURN_IF_ERROR(execution);

  // A command runs eagerly and answers with its output as a local
  // relation; a query is only analysed and comes back as a relation to run.
  std::optional<::spark::connect::Relation> returned;
  for (;;) {
    auto response = (*execution)->next();
    LAKE_RETURN_IF_ERROR(response);
    if (!*response) break;
    if ((*response)->has_sql_command_result()) {
      returned = std::move(*(*response)->mutable_sql_command_result()->mutable_relation());
    }
  }
  if (!returned) return arrow::Table::MakeEmpty(arrow::schema({})).ValueOr(nullptr);
  if (returned->has_local_relation()) {
    if (!returned->local_relation().has_data()) return arrow::Table::MakeEmpty(arrow::schema({})).ValueOr(nullptr);
    auto decoded = decode_arrow_ipc_stream(std::move(*returned->mutable_local_relation()->mutable_data()));
    LAKE_RETURN_IF_ERROR(decoded);
    auto table = arrow::Table::FromRecordBatches(decoded->schema, decoded->batches);
    if (!table.ok()) return fail(ErrorCode::internal, "spark: cannot assemble the result: " + table.status().ToString());
    return *table;
  }
  ::spark::connect::Plan query_plan;
  *query_plan.mutable_root() = std::move(*returned);
  auto query_execution = start(std::move(query_plan));
  LAKE_RETURN_IF_ERROR(query_execution);
  return ResultReader(std::move(*query_execution)).read_all();
}

Result<std::shared_ptr<arrow::Schema>> Session::analyze_schema(std::string_view sql, SqlArguments arguments) {
  auto relation = sql_relation(sql, arguments.positional, arguments.named);
  LAKE_RETURN_IF_ERROR(relation);
  ::spark::connect::AnalyzePlanRequest request;
  identity_.stamp(request);
  *request.mutable_schema()->mutable_plan()->mutable_root() = std::move(*relation);
  auto response = call<::spark::connect::AnalyzePlanRequest, ::spark::connect::AnalyzePlanResponse>(
      "AnalyzePlan", &::spark::connect::SparkConnectService::Stub::AnalyzePlan, request);
  LAKE_RETURN_IF_ERROR(response);
  return to_arrow_schema(response->schema().schema());
}

Status Session::add_artifact(const std::string& name, const std::string& bytes) {
  const std::size_t chunks = std::max<std::size_t>(1, (bytes.size() + artifact_chunk_bytes - 1) / artifact_chunk_bytes);
  auto chunk_of = [&](std::size_t i) {
    return std::string_view(bytes).substr(i * artifact_chunk_bytes, artifact_chunk_bytes);
  };
  // A broken upload is sent again whole: the server keeps nothing of an
  // artifact whose stream did not finish.
  auto uploaded = with_retry(options_.retry, [&]() -> Result<::spark::connect::AddArtifactsResponse> {
    ::spark::connect::AddArtifactsResponse response;
    auto context = channel_->context(options_.call_timeout);
    LAKE_RETURN_IF_ERROR(context);
    auto writer = channel_->stub().AddArtifacts(context->get(), &response);
    for (std::size_t i = 0; i < chunks; ++i) {
      ::spark::connect::AddArtifactsRequest request;
      identity_.stamp(request);
      ::spark::connect::AddArtifactsRequest::ArtifactChunk* chunk = nullptr;
      if (i == 0) {
        auto* begin = request.mutable_begin_chunk();
        begin->set_name(name);
        begin->set_total_bytes(static_cast<std::int64_t>(bytes.size()));
        begin->set_num_chunks(static_cast<std::int64_t>(chunks));
        chunk = begin->mutable_initial_chunk();
      } else {
        chunk = request.mutable_chunk();
      }
      chunk->set_data(std::string(chunk_of(i)));
      chunk->set_crc(crc32_of(chunk_of(i)));
      if (!writer->Write(request)) break;  // Finish() says why
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    if (!status.ok())
      return fail(error_of_call(status, std::format("spark AddArtifacts ({})", channel_->settings().describe()),
                                *channel_, identity_));
    LAKE_RETURN_IF_ERROR(identity_.observe(response));
    return response;
  });
  LAKE_RETURN_IF_ERROR(uploaded);
  for (const auto& summary : uploaded->artifacts())
    if (summary.name() == name && !summary.is_crc_successful())
      return fail(ErrorCode::io, std::format("spark AddArtifacts: the server found artifact '{}' corrupted in transit", name));
  return {};
}

Status Session::create_temp_view(std::string_view name, arrow::RecordBatchReader& rows) {
  auto data = encode_arrow_ipc_stream(rows);
  LAKE_RETURN_IF_ERROR(data);
  ::spark::connect::Plan plan;
  auto* command = plan.mutable_command()->mutable_create_dataframe_view();
  command->set_name(std::string(name));
  command->set_is_global(false);
  command->set_replace(true);
  if (data->size() <= inline_local_relation_bytes) {
    command->mutable_input()->mutable_local_relation()->set_data(std::move(*data));
  } else {
    ::spark::connect::LocalRelation relation;
    relation.set_data(std::move(*data));
    std::string blob = relation.SerializeAsString();
    relation.Clear();
    const std::string hash = sha256_hex(blob);
    LAKE_RETURN_IF_ERROR(add_artifact("cache/" + hash, blob));
    command->mutable_input()->mutable_cached_local_relation()->set_hash(hash);
  }
  auto execution = start(std::move(plan));
  LAKE_RETURN_IF_ERROR(execution);
  for (;;) {
    auto response = (*execution)->next();
    LAKE_RETURN_IF_ERROR(response);
    if (!*response) return {};
  }
}

Status Session::unset_config(std::span<const std::string> keys) {
  ::spark::connect::ConfigRequest request;
  identity_.stamp(request);
  auto* unset = request.mutable_operation()->mutable_unset();
  for (const auto& key : keys) unset->add_keys(key);
  auto response = call<::spark::connect::ConfigRequest, ::spark::connect::ConfigResponse>(
      "Config", &::spark::connect::SparkConnectService::Stub::Config, request);
  LAKE_RETURN_IF_ERROR(response);
  return {};
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
  LAKE_RETURN_IF_ERROR(response);
  return {};
}

Result<std::vector<std::optional<std::string>>> Session::get_config(std::span<const std::string> keys) {
  ::spark::connect::ConfigRequest request;
  identity_.stamp(request);
  auto* get = request.mutable_operation()->mutable_get();
  for (const auto& key : keys) get->add_keys(key);
  auto response = call<::spark::connect::ConfigRequest, ::spark::connect::ConfigResponse>(
      "Config", &::spark::connect::SparkConnectService::Stub::Config, request);
  LAKE_RETURN_IF_ERROR(response);
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
  LAKE_RETURN_IF_ERROR(response);
  return response->interrupted_ids_size() > 0;
}

Result<std::size_t> Session::interrupt_all() {
  ::spark::connect::InterruptRequest request;
  identity_.stamp(request);
  request.set_interrupt_type(::spark::connect::InterruptRequest_InterruptType_INTERRUPT_TYPE_ALL);
  auto response = call<::spark::connect::InterruptRequest, ::spark::connect::InterruptResponse>(
      "Interrupt", &::spark::connect::SparkConnectService::Stub::Interrupt, request);
  LAKE_RETURN_IF_ERROR(response);
  return static_cast<std::size_t>(response->interrupted_ids_size());
}

}  // namespace lake::spark
