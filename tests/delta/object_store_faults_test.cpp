// Faults between lake and a real object store, built once and run twice:
// on S3 (MinIO, label s3) and on GCS (fake-gcs-server, label gcs), the
// store chosen at run time (LAKE_TEST_OBJECT_STORE). A proxy in front of the
// server answers 503, cuts uploads mid-body, plays a server that died,
// swallows a commit's response after the server stored it, and stalls
// answers. Every write either completes, exactly once, or fails with
// nothing committed and the table unchanged; what is checked afterwards is
// read straight from the server, past the proxy.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <print>
#include <random>
#include <ranges>
#include <variant>

#include "support/fault_proxy.hpp"
#include "support/remote_store.hpp"
#include "table_support.hpp"

#ifndef LAKE_TEST_ON_OBJECT_STORE
#error "build with LAKE_TEST_ON_OBJECT_STORE"
#endif

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
using lake::testing::Fault;
using lake::testing::FaultProxy;
using lake::testing::RequestHead;
using namespace std::chrono_literals;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// What differs between the stores: how the backend is opened, and what
// their requests look like on the wire. The binary runs on either store,
// so each of these asks which one this run is on.
using StoreOptions = std::variant<S3Options, GcsOptions>;
using lake::testing::ObjectStore;

bool on_s3() { return lake::testing::object_store() == ObjectStore::s3; }

bool server_running() {
  const auto store = lake::testing::object_store();
  if (!store) return false;
  return *store == ObjectStore::s3 ? lake::testing::minio() != nullptr : lake::testing::fake_gcs() != nullptr;
}
StoreOptions server_options() {
  if (on_s3()) return lake::testing::minio()->options();
  return lake::testing::fake_gcs()->options();
}
Result<std::unique_ptr<Backend>> open_store(const std::string& uri, StoreOptions options) {
  if (auto* s3 = std::get_if<S3Options>(&options)) return s3_backend(uri, std::move(*s3));
  return gcs_backend(uri, std::get<GcsOptions>(std::move(options)));
}
// S3's multipart part size, GCS's resumable upload chunk.
void set_part_bytes(StoreOptions& options, std::int64_t bytes) {
  if (auto* s3 = std::get_if<S3Options>(&options))
    s3->part_bytes = bytes;
  else
    std::get<GcsOptions>(options).chunk_bytes = bytes;
}
// An object written in one request: PutObject on S3; on GCS a media upload
// (the name is in the query, with its slashes encoded).
bool writes_object(const RequestHead& head, std::string_view name_part) {
  if (on_s3())
    return head.method == "PUT" && !contains(head.target, "uploadId=") && contains(head.target, name_part);
  return head.method == "POST" && contains(head.target, "uploadType=media") && contains(head.target, name_part);
}
// The n-th part of an upload. S3's multipart parts carry their number in
// the URL; GCS's resumable chunks are the only PUTs and carry no number, so
// they are counted (a chunk sent again counts again).
std::function<bool(const RequestHead&)> nth_part(int n) {
  if (on_s3())
    return [n](const RequestHead& head) { return contains(head.target, std::format("partNumber={}&", n)) ||
                                                 head.target.ends_with(std::format("partNumber={}", n)); };
  auto seen = std::make_shared<int>(0);
  return [n, seen](const RequestHead& head) { return head.method == "PUT" && ++*seen == n; };
}

class ObjectStoreFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_running());
    uri_ = lake::testing::fresh_object_store_uri();
    proxy_ = std::make_unique<FaultProxy>(std::visit([](const auto& o) { return o.endpoint; }, server_options()));
  }

  // Through the proxy, with quick retries so a test spends its time on
  // the faults, not on waiting.
  StoreOptions proxied_options(int attempts = 6) const {
    StoreOptions options = server_options();
    std::visit(
        [&](auto& o) {
          o.endpoint = proxy_->endpoint();
          o.connection.max_attempts = attempts;
          o.connection.base_backoff = 5ms;
          o.connection.max_backoff = 50ms;
        },
        options);
    set_part_bytes(options, 5 * 1024 * 1024);
    return options;
  }
  std::shared_ptr<Backend> proxied(StoreOptions options) const {
    auto backend = open_store(uri_, std::move(options));
    EXPECT_TRUE(backend) << backend.error().to_string();
    return backend ? std::shared_ptr<Backend>(std::move(*backend)) : nullptr;
  }
  std::shared_ptr<Backend> proxied() const { return proxied(proxied_options()); }
  // Straight to the server: what is really stored.
  std::shared_ptr<Backend> direct() const {
    auto backend = open_store(uri_, server_options());
    EXPECT_TRUE(backend) << backend.error().to_string();
    return backend ? std::shared_ptr<Backend>(std::move(*backend)) : nullptr;
  }

  // The commit files of table "t", in order.
  std::vector<std::string> commit_files() const {
    auto listed = direct()->list("t/_delta_log/");
    EXPECT_TRUE(listed) << listed.error().to_string();
    std::vector<std::string> keys;
    if (listed)
      for (const auto& object : *listed)
        if (object.key.ends_with(".json")) keys.push_back(object.key);
    std::ranges::sort(keys);
    return keys;
  }

  Table committed_table(std::int64_t rows) {
    auto table = Table::create(direct(), "t", schema_of<Event>());
    EXPECT_TRUE(table) << table.error().to_string();
    auto appended = table->append(batch_of(make_events(0, rows)));
    EXPECT_TRUE(appended) << appended.error().to_string();
    return std::move(*table);
  }

  // The table as the server has it: version and every row.
  void expect_table(std::int64_t version, const std::vector<Event>& rows) {
    auto table = Table::open(direct(), "t");
    ASSERT_TRUE(table) << table.error().to_string();
    EXPECT_EQ(table->version(), version);
    EXPECT_EQ(read_all<Event>(*table), rows);
    EXPECT_EQ(commit_files().size(), static_cast<std::size_t>(version + 1));
  }

  std::string uri_;
  std::unique_ptr<FaultProxy> proxy_;
};

// A rule applying `fault` to the first request matching `match`, once.
FaultProxy::Rule once(std::function<bool(const RequestHead&)> match, Fault fault) {
  auto done = std::make_shared<bool>(false);
  return [=](const RequestHead& head) {
    if (*done || !match(head)) return Fault{};
    *done = true;
    return fault;
  };
}

std::vector<std::byte> random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::byte> bytes(size);
  for (auto& b : bytes) b = static_cast<std::byte>(random());
  return bytes;
}

TEST_F(ObjectStoreFaults, ScatteredServerErrorsAreRetriedAndTheTableComesOutWhole) {
  // One request in five is answered 503 SlowDown (the rule runs under the
  // proxy's lock, so the generator needs none of its own). With 10 attempts
  // a request fails for good with odds of 1e-7.
  proxy_->set_rule([random = std::mt19937(7)](const RequestHead&) mutable {
    return std::uniform_int_distribution<int>(0, 4)(random) == 0 ? Fault{.kind = Fault::Kind::reply_503} : Fault{};
  });
  auto backend = proxied(proxied_options(10));
  ASSERT_TRUE(backend);
  auto table = Table::create(backend, "t", schema_of<Event>(), {}, {.checkpoint_interval = 4});
  ASSERT_TRUE(table) << table.error().to_string();
  for (int batch = 0; batch < 8; ++batch) {
    auto appended = table->append(batch_of(make_events(batch * 100, 100)));
    ASSERT_TRUE(appended) << appended.error().to_string();
  }
  auto deleted = table->delete_where(arrow::compute::equal(arrow::compute::field_ref("amount"),
                                                           arrow::compute::literal(7)));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 8);
  auto expected = make_events(0, 800);
  std::erase_if(expected, [](const Event& e) { return e.amount == 7; });
  EXPECT_EQ(read_all<Event>(*table), expected);
  std::println("{} requests through the proxy, {} answered 503", proxy_->requests(), proxy_->faults());
  EXPECT_GT(proxy_->faults(), 10);
  proxy_->set_rule({});
  expect_table(9, expected);
}

TEST_F(ObjectStoreFaults, AnOutageLongerThanTheRetriesFailsTheCommitAndChangesNothing) {
  committed_table(100);
  auto table = Table::open(proxied(), "t");
  ASSERT_TRUE(table) << table.error().to_string();

  // The data files go through; every write to the log is refused.
  proxy_->set_rule([](const RequestHead& head) {
    return writes_object(head, "_delta_log") ? Fault{.kind = Fault::Kind::reply_503} : Fault{};
  });
  auto failed = table->append(batch_of(make_events(100, 100)));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::io) << failed.error().to_string();
  EXPECT_TRUE(contains(failed.error().to_string(), "after 6 attempts")) << failed.error().to_string();
  expect_table(1, make_events(0, 100));

  // Nothing gets through at all.
  proxy_->set_rule([](const RequestHead&) { return Fault{.kind = Fault::Kind::reply_503}; });
  failed = table->append(batch_of(make_events(100, 100)));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::io) << failed.error().to_string();
  expect_table(1, make_events(0, 100));

  // Once the server is back the same handle writes again.
  proxy_->set_rule({});
  auto appended = table->append(batch_of(make_events(100, 100)));
  ASSERT_TRUE(appended) << appended.error().to_string();
  EXPECT_EQ(appended->version, 2);
  expect_table(2, make_events(0, 200));
}

TEST_F(ObjectStoreFaults, AnUploadCutMidBodyIsSentAgainFromItsStart) {
  auto backend = proxied();
  ASSERT_TRUE(backend);
  // A one-request upload cut after 10 KiB of its body.
  const auto small = random_bytes(300 * 1024, 1);
  proxy_->set_rule(once([](const RequestHead& head) { return writes_object(head, "small.bin"); },
                        {.kind = Fault::Kind::cut_request, .after_bytes = 10 * 1024}));
  ASSERT_TRUE(backend->put("small.bin", small, PutMode::create));
  EXPECT_EQ(proxy_->faults(), 1);

  // The second part of a three-part upload cut after 1 MiB.
  const auto large = random_bytes(12 * 1024 * 1024, 2);
  proxy_->set_rule(once(nth_part(2), {.kind = Fault::Kind::cut_request, .after_bytes = 1024 * 1024}));
  auto writer = backend->open_writer("large.bin", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  for (std::size_t at = 0; at < large.size(); at += 1024 * 1024)
    ASSERT_TRUE((*writer)->write(std::span(large).subspan(at, std::min<std::size_t>(1024 * 1024, large.size() - at))));
  ASSERT_TRUE((*writer)->close());
  EXPECT_EQ(proxy_->faults(), 2);  // both cuts, counted since the proxy started

  auto stored_small = direct()->get("small.bin");
  ASSERT_TRUE(stored_small) << stored_small.error().to_string();
  EXPECT_TRUE(std::ranges::equal(*stored_small, small));
  auto stored_large = direct()->get("large.bin");
  ASSERT_TRUE(stored_large) << stored_large.error().to_string();
  EXPECT_TRUE(std::ranges::equal(*stored_large, large));
}

TEST_F(ObjectStoreFaults, AServerGoneMidUploadLeavesNoObjectBehind) {
  auto backend = proxied();
  ASSERT_TRUE(backend);
  // From the second part on, every connection is cut as it arrives: to the
  // client, the server died after taking the first part.
  auto dead = std::make_shared<bool>(false);
  proxy_->set_rule([dead, second = nth_part(2)](const RequestHead& head) {
    if (second(head)) *dead = true;
    return *dead ? Fault{.kind = Fault::Kind::cut_request, .after_bytes = 0} : Fault{};
  });
  const auto data = random_bytes(12 * 1024 * 1024, 3);
  auto writer = backend->open_writer("gone.bin", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  Status written = (*writer)->write(data);
  if (written) written = (*writer)->close();
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::io) << written.error().to_string();
  writer->reset();
  proxy_->set_rule({});

  auto head = direct()->head("gone.bin");
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code(), ErrorCode::not_found);
  auto listed = direct()->list("");
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_TRUE(listed->empty());
}

TEST_F(ObjectStoreFaults, AServerGoneMidAppendLeavesTheTableAsItWas) {
  committed_table(100);
  auto table = Table::open(proxied(), "t", {.target_file_bytes = 4096});
  ASSERT_TRUE(table) << table.error().to_string();
  // The server dies after the first data file of the append.
  auto data_files = std::make_shared<int>(0);
  proxy_->set_rule([data_files](const RequestHead& head) {
    if (writes_object(head, ".parquet")) ++*data_files;
    return *data_files > 1 ? Fault{.kind = Fault::Kind::cut_request, .after_bytes = 0} : Fault{};
  });
  auto failed = table->append(batch_of(make_events(100, 3000)));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::io) << failed.error().to_string();
  proxy_->set_rule({});
  expect_table(1, make_events(0, 100));

  auto appended = table->append(batch_of(make_events(100, 3000)));
  ASSERT_TRUE(appended) << appended.error().to_string();
  expect_table(2, make_events(0, 3100));
}

TEST_F(ObjectStoreFaults, ACommitWhoseAnswerIsLostCountsOnceAsTheWritersOwn) {
  committed_table(100);
  auto table = Table::open(proxied(), "t");
  ASSERT_TRUE(table) << table.error().to_string();
  // The server stores commit 2; its answer never reaches the writer, which
  // sends the exclusive create again and gets 412. The object's ETag (S3)
  // or MD5 (GCS) is the writer's own, so that is its commit, not a lost race.
  proxy_->set_rule(once([](const RequestHead& head) { return writes_object(head, "00000000000000000002.json"); },
                        {.kind = Fault::Kind::drop_response}));
  auto appended = table->append(batch_of(make_events(100, 100)));
  ASSERT_TRUE(appended) << appended.error().to_string();
  EXPECT_EQ(proxy_->faults(), 1);
  EXPECT_TRUE(appended->committed);
  EXPECT_EQ(appended->version, 2);
  EXPECT_EQ(appended->attempts, 1);
  expect_table(2, make_events(0, 200));
}

TEST_F(ObjectStoreFaults, AStalledAnswerIsAbandonedAndTheRequestRetried) {
  committed_table(100);
  StoreOptions options = proxied_options();
  std::visit([](auto& o) { o.connection.stall_timeout = 1s; }, options);
  auto table = Table::open(proxied(options), "t");
  ASSERT_TRUE(table) << table.error().to_string();

  // A ranged read of a data file whose answer is held back 4 s.
  proxy_->set_rule(once([](const RequestHead& head) { return head.method == "GET" && contains(head.target, ".parquet"); },
                        {.kind = Fault::Kind::delay_response, .delay = 4s}));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(read_all<Event>(*table), make_events(0, 100));
  EXPECT_EQ(proxy_->faults(), 1);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);

  // A commit whose answer is held back: abandoned, sent again, recognised.
  proxy_->set_rule(once([](const RequestHead& head) { return writes_object(head, ".json"); },
                        {.kind = Fault::Kind::delay_response, .delay = 4s}));
  auto appended = table->append(batch_of(make_events(100, 100)));
  ASSERT_TRUE(appended) << appended.error().to_string();
  EXPECT_EQ(proxy_->faults(), 2);
  EXPECT_EQ(appended->version, 2);
  expect_table(2, make_events(0, 200));
}

}  // namespace
