#include "drivers/spark/spark_types.hpp"
#include "core/propagate.hpp"

#include <format>

namespace lake::spark {
namespace {

using Kind = ::spark::connect::DataType::KindCase;

Result<arrow::FieldVector> struct_fields(const ::spark::connect::DataType::Struct& type) {
  arrow::FieldVector fields;
  for (const auto& field : type.fields()) {
    auto field_type = to_arrow_type(field.data_type());
    LAKE_RETURN_IF_ERROR(field_type);
    fields.push_back(arrow::field(field.name(), std::move(*field_type), field.nullable()));
  }
  return fields;
}

}  // namespace

Result<std::shared_ptr<arrow::DataType>> to_arrow_type(const ::spark::connect::DataType& type) {
  switch (type.kind_case()) {
    case Kind::kNull: return arrow::null();
    case Kind::kBinary: return arrow::binary();
    case Kind::kBoolean: return arrow::boolean();
    case Kind::kByte: return arrow::int8();
    case Kind::kShort: return arrow::int16();
    case Kind::kInteger: return arrow::int32();
    case Kind::kLong: return arrow::int64();
    case Kind::kFloat: return arrow::float32();
    case Kind::kDouble: return arrow::float64();
    case Kind::kDecimal: {
      // Spark's defaults when a decimal type leaves them out.
      const int precision = type.decimal().has_precision() ? type.decimal().precision() : 10;
      const int scale = type.decimal().has_scale() ? type.decimal().scale() : 0;
      return arrow::decimal128(precision, scale);
    }
    case Kind::kString:
    case Kind::kChar:
    case Kind::kVarChar: return arrow::utf8();
    case Kind::kDate: return arrow::date32();
    case Kind::kTimestamp: return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    case Kind::kTimestampNtz: return arrow::timestamp(arrow::TimeUnit::MICRO);
    case Kind::kArray: {
      auto element = to_arrow_type(type.array().element_type());
      if (!element) return element;
      return arrow::list(arrow::field("element", std::move(*element), type.array().contains_null()));
    }
    case Kind::kStruct: {
      auto fields = struct_fields(type.struct_());
      LAKE_RETURN_IF_ERROR(fields);
      return arrow::struct_(std::move(*fields));
    }
    case Kind::kMap: {
      auto key = to_arrow_type(type.map().key_type());
      if (!key) return key;
      auto value = to_arrow_type(type.map().value_type());
      if (!value) return value;
      return std::static_pointer_cast<arrow::DataType>(std::make_shared<arrow::MapType>(
          arrow::field("key", std::move(*key), false),
          arrow::field("value", std::move(*value), type.map().value_contains_null())));
    }
    default:
      return fail(ErrorCode::unsupported,
                  std::format("spark: no Arrow mapping for Spark data type #{}", static_cast<int>(type.kind_case())));
  }
}

Result<std::shared_ptr<arrow::Schema>> to_arrow_schema(const ::spark::connect::DataType& type) {
  if (type.kind_case() != Kind::kStruct) return fail(ErrorCode::unsupported, "spark: a schema must be a struct type");
  auto fields = struct_fields(type.struct_());
  LAKE_RETURN_IF_ERROR(fields);
  return arrow::schema(std::move(*fields));
}

}  // namespace lake::spark
