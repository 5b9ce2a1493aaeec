// Auto-filled members: what Client writes do to records before validating
// them. Public so services can stamp records themselves (to show a user the
// created_at they will get, say) with the same rules.
#pragma once

#include <span>
#include <string>

#include "lake/ingest_id.hpp"
#include "lake/schema/reflect.hpp"
#include "lake/types.hpp"

namespace lake {

enum class StampMode {
  insert,  // createTime is set where zero/empty, updateTime always
  update,  // updateTime only: a row's creation time never changes
};

// Stamps auto=createTime / auto=updateTime / auto=ingestID members of every
// record: times with `now`, ingest-id members with `ingest_id`.
template <class T>
  requires Record<T>
void stamp_auto_fields(std::span<T> records, timestamp now, const IngestId& ingest_id, StampMode mode) {
  template for (constexpr std::size_t i : detail::kColumnIndexes<T>) {
    constexpr std::meta::info member = detail::kColumnMembers<T>[i];
    constexpr AutoFill fill = detail::kColumnSpecs<T>[i].auto_fill;
    using M = detail::column_member_t<T, i>;
    if constexpr (fill == AutoFill::create_time) {
      if (mode == StampMode::insert) {
        for (T& record : records) {
          auto& value = record.[:member:];
          if constexpr (detail::nullable_type_v<M>) {
            if (!value) value = now;
          } else if (value.time_since_epoch().count() == 0) {
            value = now;
          }
        }
      }
    } else if constexpr (fill == AutoFill::update_time) {
      for (T& record : records) record.[:member:] = now;
    } else if constexpr (fill == AutoFill::ingest_id) {
      const std::string id = ingest_id.to_string();
      for (T& record : records) record.[:member:] = id;
    }
  }
}

}  // namespace lake
