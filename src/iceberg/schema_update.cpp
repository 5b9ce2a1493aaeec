#include "iceberg/schema_update.hpp"

#include <algorithm>
#include <format>

#include "core/propagate.hpp"

namespace lake::iceberg {
namespace {

Error refused(std::string_view column, std::string_view why) {
  return Error(ErrorCode::schema_mismatch, std::format("column '{}': {}", column, why));
}

// A copy of `field` with ids from `id` on (nested fields included); `last`
// ends as the highest id given.
NestedField renumbered(const NestedField& field, std::int32_t id, std::int32_t& last) {
  NestedField out = field;
  out.id = id;
  last = std::max(last, id);
  if (field.type && !field.type->fields.empty()) {
    auto type = std::make_shared<Type>(*field.type);
    for (auto& child : type->fields) child = renumbered(child, last + 1, last);
    out.type = std::move(type);
  }
  return out;
}

// The Iceberg field a lake column becomes (types as from_lake maps them).
NestedField field_of(const Field& column) {
  lake::Schema one;
  one.fields.push_back(column);
  return from_lake(one, /*with_ingest_id=*/false).fields.at(0);
}

PartitionTransform transform_of(const formats::PartitionFieldChange& change) {
  switch (change.kind) {
    case PartitionKind::bucket: return {formats::Transform::bucket, static_cast<std::int32_t>(change.param)};
    case PartitionKind::truncate: return {formats::Transform::truncate, static_cast<std::int32_t>(change.param)};
    default: return {formats::Transform::identity, 0};
  }
}

// The field name Spark gives a partition field (and lake-orm's create).
std::string partition_field_name(const formats::PartitionFieldChange& change) {
  switch (change.kind) {
    case PartitionKind::bucket: return change.column + "_bucket";
    case PartitionKind::truncate: return change.column + "_trunc";
    default: return change.column;
  }
}

// The id of the entry of `list` that `same` finds (the spec asks writers
// to reuse an identical schema or spec), else of `candidate`, appended
// under the next free id.
template <class T, class Same>
std::int32_t reuse_or_add(std::vector<T>& list, T candidate, std::int32_t T::*id, Same same) {
  if (auto it = std::ranges::find_if(list, same); it != list.end()) return (*it).*id;
  candidate.*id = 0;
  for (const auto& entry : list) candidate.*id = std::max(candidate.*id, entry.*id + 1);
  list.push_back(std::move(candidate));
  return list.back().*id;
}

struct Editor {
  TableMetadata next;
  Schema schema;
  PartitionSpec spec;
  bool spec_changed = false;
  bool schema_changed = false;

  NestedField* find(std::string_view name) {
    auto it = std::ranges::find(schema.fields, name, &NestedField::name);
    return it == schema.fields.end() ? nullptr : &*it;
  }

  Status apply(const formats::AddColumns& change) {
    for (const Field& column : change.columns) {
      if (find(column.column)) return std::unexpected(refused(column.column, "the table already has it"));
      if (!column.nullable)
        return std::unexpected(refused(column.column, "a new column must be optional (rows already written have no "
                                                      "value for it)"));
      schema.fields.push_back(renumbered(field_of(column), next.last_column_id + 1, next.last_column_id));
    }
    schema_changed = true;
    return {};
  }

  Status apply(const formats::DropColumn& change) {
    NestedField* field = find(change.column);
    if (!field) return std::unexpected(refused(change.column, "the table has no such column"));
    if (std::ranges::contains(spec.fields, field->id, &PartitionSpecField::source_id))
      return std::unexpected(refused(change.column, "it is a source of the table's partitioning (drop that "
                                                    "partition field first)"));
    if (std::ranges::contains(schema.identifier_field_ids, field->id))
      return std::unexpected(refused(change.column, "it is one of the table's identifier fields"));
    std::erase_if(schema.fields, [&](const NestedField& f) { return f.name == change.column; });
    schema_changed = true;
    return {};
  }

  Status apply(const formats::RenameColumn& change) {
    NestedField* field = find(change.from);
    if (!field) return std::unexpected(refused(change.from, "the table has no such column"));
    if (find(change.to)) return std::unexpected(refused(change.to, "the table already has a column of that name"));
    field->name = change.to;  // by field id: files keep reading
    schema_changed = true;
    return {};
  }

  Status apply(const formats::ChangeColumnType& change) {
    NestedField* field = find(change.column);
    if (!field) return std::unexpected(refused(change.column, "the table has no such column"));
    Field column;
    column.column = change.column;
    column.type = change.type;
    column.nullable = !field->required;
    const NestedField wanted = field_of(column);
    if (wanted.type->to_string() == field->type->to_string()) return {};
    if (!promotes_to(*field->type, *wanted.type))
      return std::unexpected(refused(change.column, std::format("{} to {} is not one of Iceberg's type promotions",
                                                                field->type->to_string(), wanted.type->to_string())));
    field->type = wanted.type;
    schema_changed = true;
    return {};
  }

  Status apply(const formats::DropNotNull& change) {
    NestedField* field = find(change.column);
    if (!field) return std::unexpected(refused(change.column, "the table has no such column"));
    if (field->required) {
      field->required = false;
      schema_changed = true;
    }
    return {};
  }

  Status apply(const formats::SetProperties& change) {
    for (const auto& [key, value] : change.properties) {
      if (key == "format-version" && value != std::to_string(next.format_version))
        return fail(ErrorCode::unsupported, std::format("format-version {}: lake-orm does not upgrade an Iceberg "
                                                        "table's format version",
                                                        value));
      next.properties[key] = value;
    }
    return {};
  }

  Status apply(const formats::UnsetProperties& change) {
    for (const auto& key : change.keys) next.properties.erase(key);
    return {};
  }

  Status apply(const formats::PartitionFieldChange& change) {
    const NestedField* source = find(change.column);
    if (!source) return std::unexpected(refused(change.column, "the table has no such column"));
    const PartitionTransform transform = transform_of(change);
    auto same = [&](const PartitionSpecField& f) { return f.source_id == source->id && f.transform == transform; };
    auto it = std::ranges::find_if(spec.fields, same);
    if (change.add) {
      if (it != spec.fields.end())
        return std::unexpected(refused(change.column, std::format("the table is already partitioned by {}",
                                                                  to_string(transform))));
      // A field id the table used before for the same partition keeps it
      // (the spec asks writers to reuse them), else the next one.
      std::int32_t field_id = 0;
      for (const auto& earlier : next.specs)
        for (const auto& f : earlier.fields)
          if (same(f)) field_id = f.field_id;
      if (field_id == 0) field_id = ++next.last_partition_id;
      spec.fields.push_back({.source_id = source->id, .field_id = field_id, .name = partition_field_name(change),
                             .transform = transform});
    } else {
      if (it == spec.fields.end())
        return std::unexpected(refused(change.column, std::format("the table is not partitioned by {}",
                                                                  to_string(transform))));
      spec.fields.erase(it);
    }
    spec_changed = true;
    return {};
  }

  Status apply(const formats::Repartition&) {
    return fail(ErrorCode::unsupported, "Iceberg changes partitioning in place (ADD / DROP PARTITION FIELD), not by "
                                        "rewriting the table");
  }
};

}  // namespace

Result<TableMetadata> altered(const TableMetadata& metadata, std::span<const formats::TableChange> changes,
                              std::int64_t now_ms) {
  Editor editor{.next = metadata, .schema = metadata.current_schema(), .spec = metadata.default_spec()};
  for (const auto& change : changes) {
    LAKE_RETURN_IF_ERROR(std::visit([&](const auto& c) { return editor.apply(c); }, change));
  }
  TableMetadata& next = editor.next;
  if (editor.schema_changed) {
    auto text_of = [](Schema schema) {
      schema.schema_id = 0;
      return to_json(schema).dump();
    };
    const std::string wanted = text_of(editor.schema);
    next.current_schema_id = reuse_or_add(next.schemas, std::move(editor.schema), &Schema::schema_id,
                                          [&](const Schema& s) { return text_of(s) == wanted; });
  }
  if (editor.spec_changed) {
    auto same_fields = [&](const PartitionSpec& s) {
      return std::ranges::equal(s.fields, editor.spec.fields, [](const PartitionSpecField& a, const PartitionSpecField& b) {
        return a.source_id == b.source_id && a.field_id == b.field_id && a.transform == b.transform && a.name == b.name;
      });
    };
    next.default_spec_id = reuse_or_add(next.specs, editor.spec, &PartitionSpec::spec_id, same_fields);
  }
  next.last_updated_ms = std::max(now_ms, metadata.last_updated_ms);
  return next;
}

}  // namespace lake::iceberg
