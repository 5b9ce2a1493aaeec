#include "iceberg/table_updates.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace lake::iceberg {
namespace {

using nlohmann::json;

// The element of one of the metadata's id-keyed lists ("schemas" by
// "schema-id", ...) whose id is `id`, as the metadata file writes it.
const json& element(const json& list, const char* id_key, std::int64_t id) {
  for (const auto& item : list)
    if (item.at(id_key).get<std::int64_t>() == id) return item;
  static const json kNone;
  return kNone;
}

// Ids in `next` that `base` lacks, the one `current` last: a service
// assigns ids of its own to what it adds, and "-1" (the last added) is then
// the only id a set-current / set-default update can name for it.
template <class Item, class Id>
std::vector<std::int64_t> added_ids(const std::vector<Item>* base, const std::vector<Item>& next, Id id_of,
                                    std::int64_t current) {
  std::set<std::int64_t> known;
  if (base)
    for (const auto& item : *base) known.insert(id_of(item));
  std::vector<std::int64_t> added;
  for (const auto& item : next)
    if (!known.contains(id_of(item)) && id_of(item) != current) added.push_back(id_of(item));
  if (!known.contains(current) && std::ranges::any_of(next, [&](const Item& i) { return id_of(i) == current; }))
    added.push_back(current);
  return added;
}

// add-<kind> for each added element, then set-<current> when the current
// one changed (-1 when it is one just added).
template <class Item, class Id>
void add_versions(TableUpdates& out, const std::vector<Item>* base, const std::vector<Item>& next,
                  std::optional<std::int64_t> base_current, std::int64_t current, Id id_of, const json& list,
                  const char* id_key, const char* add_action, const char* element_key, const char* set_action,
                  const char* set_key, const json& extra = json::object()) {
  const auto added = added_ids(base, next, id_of, current);
  for (const auto id : added) {
    json update = {{"action", add_action}, {element_key, element(list, id_key, id)}};
    update.update(extra);
    out.updates.push_back(std::move(update));
  }
  if (base_current != current) {
    const bool just_added = !added.empty() && added.back() == current;
    out.updates.push_back({{"action", set_action}, {set_key, just_added ? -1 : current}});
  }
}

json ref_update(const std::string& name, const SnapshotRef& ref) {
  json update = {{"action", "set-snapshot-ref"}, {"ref-name", name}, {"snapshot-id", ref.snapshot_id}, {"type", ref.type}};
  if (ref.min_snapshots_to_keep) update["min-snapshots-to-keep"] = *ref.min_snapshots_to_keep;
  if (ref.max_snapshot_age_ms) update["max-snapshot-age-ms"] = *ref.max_snapshot_age_ms;
  if (ref.max_ref_age_ms) update["max-ref-age-ms"] = *ref.max_ref_age_ms;
  return update;
}

bool same_ref(const SnapshotRef& a, const SnapshotRef& b) {
  return a.snapshot_id == b.snapshot_id && a.type == b.type && a.min_snapshots_to_keep == b.min_snapshots_to_keep &&
         a.max_snapshot_age_ms == b.max_snapshot_age_ms && a.max_ref_age_ms == b.max_ref_age_ms;
}

}  // namespace

TableUpdates updates_between(const TableMetadata* base, const TableMetadata& next) {
  TableUpdates out;
  const json written = json::parse(to_json_text(next));
  if (!base) {
    out.requirements.push_back({{"type", "assert-create"}});
    out.updates.push_back({{"action", "assign-uuid"}, {"uuid", next.table_uuid}});
  } else {
    out.requirements.push_back({{"type", "assert-table-uuid"}, {"uuid", base->table_uuid}});
  }
  if (!base || base->format_version != next.format_version)
    out.updates.push_back({{"action", "upgrade-format-version"}, {"format-version", next.format_version}});

  // Schemas, then specs (bound to a schema), then sort orders.
  const auto schema_id = [](const Schema& s) -> std::int64_t { return s.schema_id; };
  add_versions(out, base ? &base->schemas : nullptr, next.schemas,
               base ? std::optional<std::int64_t>(base->current_schema_id) : std::nullopt, next.current_schema_id,
               schema_id, written.at("schemas"), "schema-id", "add-schema", "schema", "set-current-schema", "schema-id",
               {{"last-column-id", next.last_column_id}});
  if (base && (base->current_schema_id != next.current_schema_id || base->last_column_id != next.last_column_id)) {
    out.requirements.push_back({{"type", "assert-current-schema-id"}, {"current-schema-id", base->current_schema_id}});
    out.requirements.push_back(
        {{"type", "assert-last-assigned-field-id"}, {"last-assigned-field-id", base->last_column_id}});
  }
  const auto spec_id = [](const PartitionSpec& s) -> std::int64_t { return s.spec_id; };
  add_versions(out, base ? &base->specs : nullptr, next.specs,
               base ? std::optional<std::int64_t>(base->default_spec_id) : std::nullopt, next.default_spec_id, spec_id,
               written.at("partition-specs"), "spec-id", "add-spec", "spec", "set-default-spec", "spec-id");
  if (base && (base->default_spec_id != next.default_spec_id || base->last_partition_id != next.last_partition_id)) {
    out.requirements.push_back({{"type", "assert-default-spec-id"}, {"default-spec-id", base->default_spec_id}});
    out.requirements.push_back(
        {{"type", "assert-last-assigned-partition-id"}, {"last-assigned-partition-id", base->last_partition_id}});
  }
  const auto order_id = [](const SortOrder& o) -> std::int64_t { return o.order_id; };
  add_versions(out, base ? &base->sort_orders : nullptr, next.sort_orders,
               base ? std::optional<std::int64_t>(base->default_sort_order_id) : std::nullopt,
               next.default_sort_order_id, order_id, written.at("sort-orders"), "order-id", "add-sort-order",
               "sort-order", "set-default-sort-order", "sort-order-id");
  if (base && base->default_sort_order_id != next.default_sort_order_id)
    out.requirements.push_back(
        {{"type", "assert-default-sort-order-id"}, {"default-sort-order-id", base->default_sort_order_id}});

  if (!base || base->location != next.location)
    out.updates.push_back({{"action", "set-location"}, {"location", next.location}});

  json set = json::object();
  json removed = json::array();
  for (const auto& [key, value] : next.properties)
    if (!base || !base->properties.contains(key) || base->properties.at(key) != value) set[key] = value;
  if (base)
    for (const auto& [key, value] : base->properties)
      if (!next.properties.contains(key)) removed.push_back(key);
  if (!set.empty()) out.updates.push_back({{"action", "set-properties"}, {"updates", std::move(set)}});
  if (!removed.empty()) out.updates.push_back({{"action", "remove-properties"}, {"removals", std::move(removed)}});

  // Snapshots: the added ones in the order they were made, the dropped
  // ones (expiry), then the refs that moved. Every ref that moves or goes
  // must still be where the change found it: that is what makes a
  // concurrent commit to the same branch a conflict.
  for (const auto& snapshot : next.snapshots)
    if (!base || !base->snapshot(snapshot.snapshot_id))
      out.updates.push_back(
          {{"action", "add-snapshot"}, {"snapshot", element(written.at("snapshots"), "snapshot-id", snapshot.snapshot_id)}});
  json dropped = json::array();
  if (base)
    for (const auto& snapshot : base->snapshots)
      if (!next.snapshot(snapshot.snapshot_id)) dropped.push_back(snapshot.snapshot_id);
  if (!dropped.empty()) out.updates.push_back({{"action", "remove-snapshots"}, {"snapshot-ids", std::move(dropped)}});
  auto require_ref = [&](const std::string& name) {
    json requirement = {{"type", "assert-ref-snapshot-id"}, {"ref", name}, {"snapshot-id", nullptr}};
    if (base)
      if (auto it = base->refs.find(name); it != base->refs.end()) requirement["snapshot-id"] = it->second.snapshot_id;
    out.requirements.push_back(std::move(requirement));
  };
  for (const auto& [name, ref] : next.refs) {
    const bool unchanged = base && base->refs.contains(name) && same_ref(base->refs.at(name), ref);
    if (unchanged) continue;
    if (base) require_ref(name);
    out.updates.push_back(ref_update(name, ref));
  }
  if (base)
    for (const auto& [name, ref] : base->refs)
      if (!next.refs.contains(name)) {
        require_ref(name);
        out.updates.push_back({{"action", "remove-snapshot-ref"}, {"ref-name", name}});
      }
  // A change that touches no ref (expiry, a schema change) still rests on
  // the main branch it was planned on: expiry chose what to drop from it.
  if (base && !std::ranges::any_of(out.requirements, [](const json& r) { return r.at("type") == "assert-ref-snapshot-id"; }))
    require_ref("main");
  return out;
}

}  // namespace lake::iceberg
