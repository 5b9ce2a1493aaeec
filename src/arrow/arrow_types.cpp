// Logical types <-> Arrow types, and the translation of Arrow statuses.
#include <arrow/array/builder_binary.h>
#include <arrow/builder.h>

#include <cctype>
#include <format>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"

namespace lake {

std::shared_ptr<arrow::DataType> to_arrow_type(const DataType& type) {
  auto child_field = [&](std::size_t i) {
    const Column& c = type.children.at(i);
    return arrow::field(c.name, to_arrow_type(c.type), c.nullable);
  };
  switch (type.id) {
    case TypeId::boolean: return arrow::boolean();
    case TypeId::int8: return arrow::int8();
    case TypeId::int16: return arrow::int16();
    case TypeId::int32: return arrow::int32();
    case TypeId::int64: return arrow::int64();
    case TypeId::float32: return arrow::float32();
    case TypeId::float64: return arrow::float64();
    case TypeId::string: return arrow::utf8();
    case TypeId::binary: return arrow::binary();
    case TypeId::timestamp: return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    case TypeId::timestamp_ntz: return arrow::timestamp(arrow::TimeUnit::MICRO);
    case TypeId::date: return arrow::date32();
    case TypeId::decimal: return arrow::decimal128(type.precision, type.scale);
    case TypeId::list: return arrow::list(child_field(0));
    case TypeId::map: return std::make_shared<arrow::MapType>(child_field(0), child_field(1));
    case TypeId::structure: {
      arrow::FieldVector fields;
      for (std::size_t i = 0; i < type.children.size(); ++i) fields.push_back(child_field(i));
      return arrow::struct_(std::move(fields));
    }
  }
  return arrow::null();
}

std::shared_ptr<arrow::Schema> to_arrow_schema(const Schema& schema, bool with_ingest_id) {
  arrow::FieldVector fields;
  fields.reserve(schema.fields.size() + 1);
  for (const auto& f : schema.fields) fields.push_back(arrow::field(f.column, to_arrow_type(f.type), f.nullable));
  if (with_ingest_id) fields.push_back(arrow::field(std::string(kIngestIdColumn), arrow::utf8(), false));
  return arrow::schema(std::move(fields));
}

Result<DataType> from_arrow_type(const arrow::DataType& type) {
  auto child = [](const arrow::Field& f, std::string name) -> Result<Column> {
    auto t = from_arrow_type(*f.type());
    LAKE_RETURN_IF_ERROR(t);
    return Column{std::move(name), std::move(*t), f.nullable()};
  };
  switch (type.id()) {
    case arrow::Type::BOOL: return DataType(TypeId::boolean);
    case arrow::Type::INT8: return DataType(TypeId::int8);
    case arrow::Type::INT16: case arrow::Type::UINT8: return DataType(TypeId::int16);
    case arrow::Type::INT32: case arrow::Type::UINT16: return DataType(TypeId::int32);
    case arrow::Type::INT64: case arrow::Type::UINT32: return DataType(TypeId::int64);
    case arrow::Type::UINT64: return DataType::decimal(20, 0);
    case arrow::Type::FLOAT: return DataType(TypeId::float32);
    case arrow::Type::DOUBLE: return DataType(TypeId::float64);
    case arrow::Type::STRING: case arrow::Type::LARGE_STRING: case arrow::Type::STRING_VIEW:
      return DataType(TypeId::string);
    case arrow::Type::BINARY: case arrow::Type::LARGE_BINARY: case arrow::Type::BINARY_VIEW:
    case arrow::Type::FIXED_SIZE_BINARY:
      return DataType(TypeId::binary);
    // An Arrow timestamp with a zone is an instant; without one, a local
    // reading.
    case arrow::Type::TIMESTAMP:
      return DataType(static_cast<const arrow::TimestampType&>(type).timezone().empty() ? TypeId::timestamp_ntz
                                                                                         : TypeId::timestamp);
    case arrow::Type::DATE32: case arrow::Type::DATE64: return DataType(TypeId::date);
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(type);
      return DataType::decimal(static_cast<std::uint8_t>(d.precision()), static_cast<std::uint8_t>(d.scale()));
    }
    case arrow::Type::LIST: case arrow::Type::LARGE_LIST: {
      const auto& list = static_cast<const arrow::BaseListType&>(type);
      auto element = child(*list.value_field(), "element");
      LAKE_RETURN_IF_ERROR(element);
      DataType out(TypeId::list);
      out.children.push_back(std::move(*element));
      return out;
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(type);
      auto key = child(*map.key_field(), "key");
      LAKE_RETURN_IF_ERROR(key);
      auto value = child(*map.item_field(), "value");
      LAKE_RETURN_IF_ERROR(value);
      DataType out(TypeId::map);
      out.children.push_back(std::move(*key));
      out.children.push_back(std::move(*value));
      return out;
    }
    case arrow::Type::STRUCT: {
      DataType out(TypeId::structure);
      for (const auto& f : type.fields()) {
        auto c = child(*f, f->name());
        LAKE_RETURN_IF_ERROR(c);
        out.children.push_back(std::move(*c));
      }
      return out;
    }
    default:
      return fail(ErrorCode::unsupported, std::format("Arrow type {} has no lake column type", type.ToString()));
  }
}

namespace detail {
namespace {

// A lake Error travelling through an Arrow interface (a RecordBatchReader,
// a RandomAccessFile) as a Status detail, so it comes back out whole: its
// code, message and typed detail, not the nearest Arrow status code.
class LakeErrorDetail final : public arrow::StatusDetail {
 public:
  explicit LakeErrorDetail(Error error) : error_(std::move(error)) {}
  const char* type_id() const override { return "lake::Error"; }
  // Arrow prints a detail as ". Detail: <this>" after the message, and a
  // status re-wrapped by Arrow or Parquet code keeps only that text: the
  // marker lets from_arrow_status find the code again.
  std::string ToString() const override { return std::string(kMarker) + std::string(to_string(error_.code())); }
  static constexpr std::string_view kMarker = "lake:";
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

arrow::StatusCode nearest_arrow_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return arrow::StatusCode::Invalid;
    case ErrorCode::schema_mismatch: return arrow::StatusCode::TypeError;
    case ErrorCode::unsupported: return arrow::StatusCode::NotImplemented;
    case ErrorCode::not_found: return arrow::StatusCode::KeyError;
    case ErrorCode::cancelled: return arrow::StatusCode::Cancelled;
    default: return arrow::StatusCode::IOError;
  }
}

}  // namespace

std::optional<ErrorCode> code_named_in(std::string_view text) {
  // The first marker is the innermost error: where it began.
  for (auto at = text.find(LakeErrorDetail::kMarker); at != std::string_view::npos;
       at = text.find(LakeErrorDetail::kMarker, at + 1)) {
    const std::string_view rest = text.substr(at + LakeErrorDetail::kMarker.size());
    for (int c = 0; c <= static_cast<int>(ErrorCode::internal); ++c) {
      const auto candidate = static_cast<ErrorCode>(c);
      const std::string_view name = to_string(candidate);
      if (!rest.starts_with(name)) continue;
      const bool whole = rest.size() == name.size() ||
                         (!std::isalnum(static_cast<unsigned char>(rest[name.size()])) && rest[name.size()] != '_');
      if (whole) return candidate;
    }
  }
  return std::nullopt;
}

arrow::Status to_arrow_status(const Error& error) {
  return arrow::Status(nearest_arrow_code(error.code()), error.message(), std::make_shared<LakeErrorDetail>(error));
}

Error from_arrow_status(const arrow::Status& status, std::string_view context) {
  if (const auto* carried = dynamic_cast<const LakeErrorDetail*>(status.detail().get()))
    return carried->error().with_context(context);
  // A lake error whose detail object was lost on the way (Parquet turns
  // statuses into exceptions and back) still names its code in the text.
  const std::string text = status.ToString();
  if (auto carried_code = code_named_in(text)) return Error(*carried_code, std::format("{}: {}", context, text));
  ErrorCode code = ErrorCode::internal;
  if (status.IsIOError()) code = ErrorCode::io;
  else if (status.IsInvalid() || status.IsTypeError()) code = ErrorCode::invalid_argument;
  else if (status.IsCapacityError() || status.IsOutOfMemory()) code = ErrorCode::io;
  else if (status.IsNotImplemented()) code = ErrorCode::unsupported;
  else if (status.IsCancelled()) code = ErrorCode::cancelled;
  else if (status.IsKeyError() || status.IsIndexError()) code = ErrorCode::not_found;
  return Error(code, std::format("{}: {}", context, text));
}

Result<std::shared_ptr<arrow::Array>> constant_string_array(const std::string& value, std::int64_t rows,
                                                             arrow::MemoryPool* pool) {
  arrow::StringBuilder builder(pool);
  arrow::Status status = builder.Reserve(rows);
  if (status.ok()) status = builder.ReserveData(rows * static_cast<std::int64_t>(value.size()));
  for (std::int64_t i = 0; status.ok() && i < rows; ++i) builder.UnsafeAppend(value);
  std::shared_ptr<arrow::Array> out;
  if (status.ok()) status = builder.Finish(&out);
  if (!status.ok()) return fail(from_arrow_status(status, "building the _ingest_id column"));
  return out;
}

std::int64_t builder_bytes(arrow::ArrayBuilder& builder) {
  // Arrow has no size accessor on builders; capacity times the fixed width
  // plus the children is a close lower bound for what finish() will return.
  std::int64_t total = builder.length() / 8 + 1;  // validity bitmap
  if (auto fixed = std::dynamic_pointer_cast<arrow::FixedWidthType>(builder.type())) {
    total += builder.length() * fixed->bit_width() / 8;
  } else if (const auto* strings = dynamic_cast<const arrow::BinaryBuilder*>(&builder)) {
    total += strings->value_data_length() + builder.length() * 4;
  } else {
    total += builder.length() * 4;  // offsets of lists and maps
  }
  for (int i = 0; i < builder.num_children(); ++i) total += builder_bytes(*builder.child(i));
  return total;
}

std::string column_list(const arrow::Schema& schema) {
  std::string out;
  for (const auto& f : schema.fields()) out += (out.empty() ? "" : ", ") + f->name();
  return out;
}

}  // namespace detail
}  // namespace lake
