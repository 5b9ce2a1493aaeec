// lake-orm: C++ structs as the schema contract of Delta Lake and Iceberg
// tables. The umbrella header: include this and nothing else.
//
//   lake/error.hpp              Result<T>, Error, ErrorCode
//   lake/types.hpp              timestamp, date, decimal<P,S>, bytes
//   lake/schema/annotations.hpp [[=lake::pk]], lake::tag("id,pk"), ...
//   lake/schema/reflect.hpp     schema_of<T>(), table_name_of<T>()
//   lake/schema/fingerprint.hpp schema_fingerprint<T>()
//   lake/validate.hpp           validate(records), register_validator
//   lake/ingest_id.hpp          IngestId (UUIDv7)
//   lake/stamp.hpp              stamp_auto_fields
//   lake/arrow/convert.hpp      to_record_batch / from_record_batch
#pragma once

#include "lake/arrow/convert.hpp"
#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/schema/annotations.hpp"
#include "lake/schema/fingerprint.hpp"
#include "lake/schema/reflect.hpp"
#include "lake/stamp.hpp"
#include "lake/types.hpp"
#include "lake/validate.hpp"
