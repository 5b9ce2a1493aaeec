// The REST catalog (src/iceberg/rest_catalog) against a real service:
// Iceberg's own RESTCatalogServer over a JDBC catalog on SQLite, started
// once per run by the CTest fixture `iceberg_rest`. The service writes the
// metadata files; a stale base is its 409, here ErrorCode::conflict;
// appenders on separate catalog clients all land. OAuth2: tokens from a
// token endpoint in this test (the service accepts any token and never
// expires one, so the expiry and the 401 are played by a loopback proxy in
// front of the real service: it is the only stand-in here, and it forwards
// every request to the service unchanged).
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "iceberg/commits.hpp"
#include "iceberg/id_table.hpp"
#include "iceberg/rest_catalog.hpp"
#include "lake/storage/backend.hpp"
#include "storage/object_store/http.hpp"
#include "support/iceberg_rest.hpp"
#include "support/loopback_http.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;
using lake::ErrorCode;

std::shared_ptr<arrow::RecordBatchReader> rows(std::int64_t first, std::int64_t count) {
  return lake::iceberg::testing::id_rows(first, count);
}

NewTable events() { return lake::iceberg::testing::id_table({{"owner", "lake-orm"}}); }

struct RestCatalogTest : ::testing::Test {
  lake::testing::TempDir dir{"iceberg-rest"};
  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  lake::IcebergCatalog settings{.kind = lake::IcebergCatalogKind::rest,
                                .uri = lake::testing::iceberg_rest_uri(),
                                .default_namespace = lake::testing::unique_namespace("rest")};

  // The table as the service answers a load, read with a plain HTTP GET.
  nlohmann::json served(const std::string& table) {
    auto response = lake::object_store::send(
        {.method = "GET", .url = std::format("{}/v1/namespaces/{}/tables/{}", settings.uri, settings.default_namespace, table)});
    EXPECT_TRUE(response && response->status == 200);
    return response ? nlohmann::json::parse(response->body_text(), nullptr, false) : nlohmann::json();
  }
};

TEST_F(RestCatalogTest, DropForgetsTheTable) {
  RestCatalog catalog(backend, settings);
  ASSERT_TRUE(create_table(catalog, "events", events()));
  auto dropped = catalog.drop("events");
  ASSERT_TRUE(dropped) << dropped.error().to_string();
  auto gone = catalog.load("events");
  ASSERT_TRUE(gone) << gone.error().to_string();
  EXPECT_FALSE(*gone) << "the service no longer has it";
  EXPECT_TRUE(catalog.drop("events")) << "a table that is not there is nothing to do";
  EXPECT_TRUE(create_table(catalog, "events", events())) << "the name is free again";
}

TEST_F(RestCatalogTest, TheServiceCreatesLoadsAndCommitsTheTable) {
  RestCatalog catalog(backend, settings);
  auto missing = catalog.load("events");
  ASSERT_TRUE(missing) << missing.error().to_string();
  EXPECT_FALSE(*missing) << "no table yet (nor namespace): nullopt, not an error";

  auto created = create_table(catalog, "events", events());
  ASSERT_TRUE(created) << created.error().to_string();
  // The service wrote the first metadata file, under the location we asked for,
  // with our table's identity, schema and properties.
  EXPECT_EQ(created->metadata.location, "file://" + (dir.path / "events").string());
  EXPECT_NE(created->location.find("/events/metadata/00000-"), std::string::npos) << created->location;
  const auto first = served("events");
  EXPECT_EQ(first["metadata-location"], created->location);
  EXPECT_EQ(first["metadata"]["table-uuid"], created->metadata.table_uuid);
  EXPECT_EQ(first["metadata"]["properties"]["owner"], "lake-orm");
  EXPECT_EQ(first["metadata"]["schemas"][0]["fields"][0]["name"], "id");

  auto input = rows(0, 10);
  auto appended = append(catalog, backend, "events", *input);
  ASSERT_TRUE(appended) << appended.error().to_string();
  ASSERT_NE(appended->metadata.current_snapshot(), nullptr);
  const std::int64_t snapshot = appended->metadata.current_snapshot()->snapshot_id;
  EXPECT_NE(appended->location.find("/events/metadata/00001-"), std::string::npos) << appended->location;
  EXPECT_TRUE(std::filesystem::exists(appended->location.substr(std::string_view("file:").size())))
      << "the service wrote " << appended->location;
  const auto second = served("events");
  EXPECT_EQ(second["metadata"]["current-snapshot-id"], snapshot);
  EXPECT_EQ(second["metadata"]["refs"]["main"]["snapshot-id"], snapshot);
  EXPECT_EQ(second["metadata"]["metadata-log"].size(), 1u) << "the service keeps the log of metadata files";

  // Another client of the service sees the same table.
  RestCatalog other(backend, settings);
  auto loaded = other.load("events");
  ASSERT_TRUE(loaded && *loaded) << (loaded ? "no table" : loaded.error().to_string());
  EXPECT_EQ((*loaded)->location, appended->location);
  EXPECT_EQ((*loaded)->metadata.current_snapshot()->summary.at("added-records"), "10");

  // A table in a folder is in the folder's namespace, created on the way.
  RestCatalog nested(backend, lake::IcebergCatalog{.kind = lake::IcebergCatalogKind::rest, .uri = settings.uri});
  const std::string folder = settings.default_namespace + "/orders";
  ASSERT_TRUE(create_table(nested, folder, events()));
  auto orders = nested.load(folder);
  ASSERT_TRUE(orders && *orders);
  EXPECT_EQ((*orders)->metadata.location, "file://" + (dir.path / folder).string());
}

TEST_F(RestCatalogTest, AStaleBaseIsAConflictAndASecondCreateAlreadyExists) {
  RestCatalog catalog(backend, settings);
  auto base = create_table(catalog, "events", events());
  ASSERT_TRUE(base) << base.error().to_string();
  auto input = rows(0, 1);
  auto appended = append(catalog, backend, "events", *input);
  ASSERT_TRUE(appended);

  // A change planned on the first version: its branch moved since.
  TableMetadata next = base->metadata;
  next.snapshots.push_back(Snapshot{.snapshot_id = 42,
                                    .sequence_number = 1,
                                    .timestamp_ms = base->metadata.last_updated_ms + 1,
                                    .manifest_list = appended->metadata.current_snapshot()->manifest_list,
                                    .summary = {{"operation", "append"}},
                                    .schema_id = 0});
  next.refs["main"] = SnapshotRef{.snapshot_id = 42};
  next.current_snapshot_id = 42;
  auto stale = catalog.commit("events", &*base, next);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::conflict) << stale.error().to_string();
  EXPECT_NE(stale.error().message().find("main"), std::string::npos) << "the service says which requirement failed: "
                                                                    << stale.error().to_string();
  EXPECT_EQ(served("events")["metadata"]["current-snapshot-id"], appended->metadata.current_snapshot()->snapshot_id);

  auto again = create_table(catalog, "events", events());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists) << again.error().to_string();
}

TEST_F(RestCatalogTest, SchemaChangesAndExpiryAreUpdatesTheServiceApplies) {
  RestCatalog catalog(backend, settings);
  ASSERT_TRUE(create_table(catalog, "events", events()));
  for (int i = 0; i < 3; ++i) {
    auto input = rows(i * 10, 10);
    ASSERT_TRUE(append(catalog, backend, "events", *input));
  }
  auto current = catalog.load("events");
  ASSERT_TRUE(current && *current);
  // An added optional column: a new schema, made current.
  TableMetadata evolved = (*current)->metadata;
  Schema wider = evolved.current_schema();
  wider.schema_id = 1;
  wider.fields.push_back(NestedField{.id = 2, .name = "note", .required = false, .type = Type::of("string")});
  evolved.schemas.push_back(wider);
  evolved.current_schema_id = 1;
  evolved.last_column_id = 2;
  auto committed = catalog.commit("events", &**current, evolved);
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_EQ(committed->metadata.current_schema().fields.size(), 2u);
  EXPECT_EQ(served("events")["metadata"]["last-column-id"], 2);

  // Expiry: the service drops the snapshots, and the files only they used go.
  auto expired = expire_snapshots(catalog, backend, "events",
                                  ExpireOptions{.older_than_ms = std::numeric_limits<std::int64_t>::max(), .retain_last = 1});
  ASSERT_TRUE(expired) << expired.error().to_string();
  EXPECT_EQ(expired->snapshots_expired, 2);
  const auto after = served("events")["metadata"];
  EXPECT_EQ(after["snapshots"].size(), 1u);
  EXPECT_EQ(after["schemas"].size(), 2u);
}

TEST_F(RestCatalogTest, AppendersOnSeparateClientsAllLand) {
  {
    RestCatalog catalog(backend, settings);
    ASSERT_TRUE(create_table(catalog, "events", events()));
  }
  constexpr int kWriters = 4, kAppends = 5;
  std::vector<std::jthread> writers;
  std::atomic<int> failures = 0;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      RestCatalog mine(backend, settings);
      for (int a = 0; a < kAppends; ++a) {
        auto input = rows((w * kAppends + a) * 3, 3);
        AppendOptions options;
        options.retry.max_attempts = 64;
        if (auto done = append(mine, backend, "events", *input, options); !done) {
          ADD_FAILURE() << done.error().to_string();
          ++failures;
        }
      }
    });
  writers.clear();
  ASSERT_EQ(failures, 0);
  RestCatalog reader(backend, settings);
  auto table = reader.load("events");
  ASSERT_TRUE(table && *table);
  EXPECT_EQ((*table)->metadata.snapshots.size(), static_cast<std::size_t>(kWriters * kAppends));
  EXPECT_EQ((*table)->metadata.current_snapshot()->summary.at("total-records"), std::to_string(kWriters * kAppends * 3));
}

// A token endpoint and a proxy in front of the real service that takes only
// tokens it issued and has not expired or revoked.
struct TokenIssuer {
  std::mutex mutex;
  std::map<std::string, std::chrono::steady_clock::time_point> issued;
  int fetches = 0, refused = 0, forwarded = 0;
  bool revoked = false;
  std::string last_form;
  static constexpr auto kLifetime = std::chrono::seconds(6);

  lake::testing::LoopbackResponse token(const lake::testing::LoopbackRequest& request) {
    std::lock_guard lock(mutex);
    last_form = request.body;
    if (request.body.find("client_secret=s3cr%2Ft") == std::string::npos)
      return {.status = 401, .body = R"({"error": "invalid_client", "error_description": "unknown client"})"};
    const std::string value = std::format("token-{}", ++fetches);
    issued[value] = std::chrono::steady_clock::now();
    revoked = false;
    return {.status = 200,
            .headers = {{"Content-Type", "application/json"}},
            .body = std::format(R"({{"access_token": "{}", "token_type": "bearer", "expires_in": 6}})", value)};
  }

  lake::testing::LoopbackResponse forward(const lake::testing::LoopbackRequest& request, const std::string& service) {
    {
      std::lock_guard lock(mutex);
      const std::string auth = request.header("authorization");
      const auto it = auth.starts_with("Bearer ") ? issued.find(auth.substr(7)) : issued.end();
      if (revoked || it == issued.end() || std::chrono::steady_clock::now() - it->second > kLifetime) {
        ++refused;
        return {.status = 401, .body = R"({"error": {"message": "token expired", "type": "NotAuthorizedException", "code": 401}})"};
      }
      ++forwarded;
    }
    lake::object_store::HttpRequest out{.method = request.method, .url = service + request.target};
    if (!request.body.empty()) {
      out.headers = {{"Content-Type", "application/json"}};
      out.body = std::as_bytes(std::span(request.body));
    }
    auto answer = lake::object_store::send(out);
    if (!answer) return {.status = 502};
    return {.status = static_cast<int>(answer->status),
            .headers = {{"Content-Type", "application/json"}},
            .body = std::string(answer->body_text())};
  }
};

TEST_F(RestCatalogTest, OAuthTokensAreRefreshedBeforeTheyExpireAndAfterARefusal) {
  TokenIssuer issuer;
  lake::testing::LoopbackHttpServer tokens([&](const auto& request) { return issuer.token(request); });
  const std::string service = settings.uri;
  lake::testing::LoopbackHttpServer proxy([&](const auto& request) { return issuer.forward(request, service); });
  settings.uri = proxy.url();
  settings.credential = "alice:s3cr/t";
  settings.oauth2_server_uri = tokens.url() + "/oauth/token";
  RestCatalog catalog(backend, settings);

  ASSERT_TRUE(create_table(catalog, "events", events()));
  EXPECT_EQ(issuer.fetches, 1) << "one token serves the config, namespace and create requests";
  EXPECT_NE(issuer.last_form.find("grant_type=client_credentials"), std::string::npos) << issuer.last_form;
  EXPECT_NE(issuer.last_form.find("client_id=alice"), std::string::npos) << issuer.last_form;
  EXPECT_NE(issuer.last_form.find("scope=catalog"), std::string::npos) << issuer.last_form;

  // Past half the token's life: the next request brings a new one first,
  // so the service never sees an expired token.
  std::this_thread::sleep_for(std::chrono::milliseconds(3'200));
  auto input = rows(0, 5);
  ASSERT_TRUE(append(catalog, backend, "events", *input));
  EXPECT_EQ(issuer.fetches, 2);
  EXPECT_EQ(issuer.refused, 0) << "refreshed before expiry, never refused";

  // A token the service stops taking: one refusal, one new token, done.
  {
    std::lock_guard lock(issuer.mutex);
    issuer.revoked = true;
  }
  auto loaded = catalog.load("events");
  ASSERT_TRUE(loaded && *loaded) << (loaded ? "no table" : loaded.error().to_string());
  EXPECT_EQ(issuer.fetches, 3);
  EXPECT_EQ(issuer.refused, 1);
  EXPECT_EQ(catalog.token_fetches(), 3);
}

TEST_F(RestCatalogTest, ARefusedCredentialIsTypedAndKeepsTheSecretOut) {
  TokenIssuer issuer;
  lake::testing::LoopbackHttpServer tokens([&](const auto& request) { return issuer.token(request); });
  settings.credential = "alice:wrong-secret-value";
  settings.oauth2_server_uri = tokens.url() + "/oauth/token";
  RestCatalog catalog(backend, settings);
  auto loaded = catalog.load("events");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), ErrorCode::permission_denied) << loaded.error().to_string();
  EXPECT_NE(loaded.error().to_string().find("invalid_client"), std::string::npos) << loaded.error().to_string();
  EXPECT_EQ(loaded.error().to_string().find("wrong-secret-value"), std::string::npos) << "the secret leaked";
}

// A proxy in front of the real service that loses the answer to the next
// commit (the service applied it) or fails it without passing it on.
struct LossyProxy {
  enum class Next { pass, lose_answer, fail_unsent } next = Next::pass;
  std::string service;
  std::mutex mutex;

  lake::testing::LoopbackResponse operator()(const lake::testing::LoopbackRequest& request) {
    Next mode;
    {
      std::lock_guard lock(mutex);
      const bool commit = request.method == "POST" && request.target.find("/tables/") != std::string::npos;
      mode = commit ? std::exchange(next, Next::pass) : Next::pass;
    }
    if (mode == Next::fail_unsent) return {.status = 503, .body = "unavailable"};
    lake::object_store::HttpRequest out{.method = request.method, .url = service + request.target};
    if (!request.body.empty()) out.body = std::as_bytes(std::span(request.body));
    out.headers = {{"Content-Type", "application/json"}};
    auto answer = lake::object_store::send(out);
    if (!answer || mode == Next::lose_answer) return {.status = 502, .body = "bad gateway"};
    return {.status = static_cast<int>(answer->status), .body = std::string(answer->body_text())};
  }
};

TEST_F(RestCatalogTest, ACommitWhoseAnswerIsLostIsSettledByTheTable) {
  LossyProxy lossy;
  lossy.service = settings.uri;
  lake::testing::LoopbackHttpServer proxy([&](const auto& request) { return lossy(request); });
  settings.uri = proxy.url();
  RestCatalog catalog(backend, settings);
  ASSERT_TRUE(create_table(catalog, "events", events()));

  // Applied, but the answer was lost: the table shows the snapshot, so the
  // append succeeded, once, and its files stay.
  lossy.next = LossyProxy::Next::lose_answer;
  auto input = rows(0, 4);
  auto first = append(catalog, backend, "events", *input);
  ASSERT_TRUE(first) << first.error().to_string();
  // Never applied: the table does not show it, so it is planned and sent
  // again, and lands once.
  lossy.next = LossyProxy::Next::fail_unsent;
  input = rows(4, 6);
  auto second = append(catalog, backend, "events", *input);
  ASSERT_TRUE(second) << second.error().to_string();

  const auto table = served("events")["metadata"];
  EXPECT_EQ(table["snapshots"].size(), 2u) << "each append exactly once";
  auto loaded = catalog.load("events");
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->metadata.current_snapshot()->summary.at("total-records"), "10");
  // Every data file the table names is there.
  for (const auto& snapshot : table["snapshots"])
    EXPECT_TRUE(std::filesystem::exists(snapshot["manifest-list"].get<std::string>().substr(std::string_view("file:").size())));
}

TEST_F(RestCatalogTest, AnUnreachableServiceIsATypedError) {
  lake::testing::LoopbackHttpServer closed([](const auto&) { return lake::testing::LoopbackResponse{}; });
  settings.uri = std::format("http://127.0.0.1:{}", closed.port());
  // An answer that is not the protocol's: a typed error naming the request.
  RestCatalog catalog(backend, settings);
  auto loaded = catalog.load("events");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), ErrorCode::io) << loaded.error().to_string();
  EXPECT_NE(loaded.error().to_string().find("/v1/config"), std::string::npos) << loaded.error().to_string();
}

}  // namespace
