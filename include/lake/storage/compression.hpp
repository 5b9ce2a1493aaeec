// The codec of the Parquet parts a write stages in object storage (seed:
// WithCompression). Table data files are always ZSTD.
#pragma once

namespace lake {

enum class Compression { zstd, snappy, gzip, uncompressed };

}  // namespace lake
