// The Client's runtime metrics, exposed in the Prometheus text format
// (version 0.0.4) for a service's /metrics endpoint:
//
//   lake_ingests_total{table,path,outcome}   writes started and how they ended
//   lake_rows_written_total{table,op}         rows inserted / updated / deleted
//   lake_bytes_staged_total{table}            Parquet bytes written to staging
//   lake_ingest_duration_seconds{path}        histogram of write wall time
//   lake_commit_conflicts_total{table}        writes that lost to a concurrent writer
//   lake_commit_retries_total{table}          commit attempts beyond the first
//   lake_validation_failures_total{table}     writes rejected by validation
//   lake_queries_total{outcome}               SQL statements run
//   lake_inflight_ingests                     writes running now
//
// Label values never carry record contents, SQL text or credentials.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lake {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  enum class Kind { counter, gauge, histogram };

  MetricsRegistry();
  // Declares a metric; using an undeclared name is a programming error
  // and is ignored (so a typo cannot break a write).
  void describe(std::string name, Kind kind, std::string help);
  void increment(std::string_view name, const MetricLabels& labels = {}, double by = 1);
  void set(std::string_view name, const MetricLabels& labels, double value);
  void observe(std::string_view name, const MetricLabels& labels, double seconds);

  // A counter's or gauge's value (a histogram's observation count); 0 when
  // that label set has not been seen.
  [[nodiscard]] double value(std::string_view name, const MetricLabels& labels = {}) const;
  [[nodiscard]] std::string to_prometheus_text() const;

 private:
  struct Series {
    double value = 0;  // counter/gauge value; histogram sum
    std::vector<double> buckets;  // histogram: cumulative counts per bound
    double count = 0;
  };
  struct Family {
    Kind kind = Kind::counter;
    std::string help;
    std::map<MetricLabels, Series> series;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace lake
