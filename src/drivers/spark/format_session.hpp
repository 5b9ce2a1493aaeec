// A pooled Spark session lent to a table format (formats::SqlSession): the
// format's statements run on it with bound parameters; settings a
// statement needed are removed afterwards, and a session whose settings
// could not be restored is not pooled again.
#pragma once

#include "drivers/spark/session_pool.hpp"
#include "formats/sql_format.hpp"

namespace lake::spark {

class FormatSession final : public formats::SqlSession {
 public:
  explicit FormatSession(SessionPool::Lease& lease) : lease_(lease) {}

  Result<std::shared_ptr<arrow::Table>> run(const formats::SqlStatement& statement) override;
  Result<std::shared_ptr<arrow::Schema>> schema_of(std::string_view query) override;
  Result<std::shared_ptr<arrow::Table>> run_with(const formats::SqlStatement& statement,
                                                 const formats::SqlSettings& settings) override;

 private:
  SessionPool::Lease& lease_;
};

}  // namespace lake::spark
