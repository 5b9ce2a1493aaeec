#include "lake/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <format>

namespace lake {
namespace {

// Write durations span a 1 ms point insert to a many-minute bulk load.
constexpr std::array<double, 12> kBuckets{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60};

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string label_text(const MetricLabels& labels, std::string_view extra_key = {}, std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += std::format("{}=\"{}\"", key, escape_label(value));
  }
  if (!extra_key.empty()) out += std::format("{}{}=\"{}\"", first ? "" : ",", extra_key, extra_value);
  return out + "}";
}

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::format("{}", static_cast<long long>(value));
  return std::format("{}", value);
}

// Label sets are kept sorted by name, so lookups and the exposition do not
// depend on the order a caller listed them in.
MetricLabels sorted(MetricLabels labels) {
  std::ranges::sort(labels);
  return labels;
}

}  // namespace

MetricsRegistry::MetricsRegistry() {
  describe("lake_ingests_total", Kind::counter, "Writes, by table, path and outcome.");
  describe("lake_rows_written_total", Kind::counter, "Rows written, by table and operation.");
  describe("lake_bytes_staged_total", Kind::counter, "Parquet bytes written to staging.");
  describe("lake_ingest_duration_seconds", Kind::histogram, "Wall time of writes, by path.");
  describe("lake_commit_conflicts_total", Kind::counter, "Writes that lost to a concurrent writer.");
  describe("lake_commit_retries_total", Kind::counter, "Commit attempts beyond the first.");
  describe("lake_validation_failures_total", Kind::counter, "Writes rejected by validation.");
  describe("lake_queries_total", Kind::counter, "SQL statements run, by outcome.");
  describe("lake_inflight_ingests", Kind::gauge, "Writes running now.");
}

void MetricsRegistry::describe(std::string name, Kind kind, std::string help) {
  std::scoped_lock lock(mutex_);
  auto& family = families_[std::move(name)];
  family.kind = kind;
  family.help = std::move(help);
}

void MetricsRegistry::increment(std::string_view name, const MetricLabels& labels, double by) {
  std::scoped_lock lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end() || family->second.kind == Kind::histogram) return;
  family->second.series[sorted(labels)].value += by;
}

void MetricsRegistry::set(std::string_view name, const MetricLabels& labels, double value) {
  std::scoped_lock lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end() || family->second.kind != Kind::gauge) return;
  family->second.series[sorted(labels)].value = value;
}

void MetricsRegistry::observe(std::string_view name, const MetricLabels& labels, double seconds) {
  std::scoped_lock lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end() || family->second.kind != Kind::histogram) return;
  auto& series = family->second.series[sorted(labels)];
  if (series.buckets.empty()) series.buckets.assign(kBuckets.size(), 0);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) series.buckets[i] += 1;
  series.value += seconds;
  series.count += 1;
}

double MetricsRegistry::value(std::string_view name, const MetricLabels& labels) const {
  std::scoped_lock lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end()) return 0;
  auto series = family->second.series.find(sorted(labels));
  if (series == family->second.series.end()) return 0;
  return family->second.kind == Kind::histogram ? series->second.count : series->second.value;
}

std::string MetricsRegistry::to_prometheus_text() const {
  std::scoped_lock lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family.kind == Kind::counter ? "counter" : family.kind == Kind::gauge ? "gauge" : "histogram";
    out += std::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name, type);
    for (const auto& [labels, series] : family.series) {
      if (family.kind != Kind::histogram) {
        out += std::format("{}{} {}\n", name, label_text(labels), number(series.value));
        continue;
      }
      for (std::size_t i = 0; i < kBuckets.size(); ++i)
        out += std::format("{}_bucket{} {}\n", name, label_text(labels, "le", number(kBuckets[i])),
                           number(series.buckets[i]));
      out += std::format("{}_bucket{} {}\n", name, label_text(labels, "le", "+Inf"), number(series.count));
      out += std::format("{}_sum{} {}\n", name, label_text(labels), number(series.value));
      out += std::format("{}_count{} {}\n", name, label_text(labels), number(series.count));
    }
  }
  return out;
}

}  // namespace lake
