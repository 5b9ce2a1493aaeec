// Deletion vectors (PROTOCOL.md "Deletion Vectors"): the rows of a data
// file its logical file no longer has. A DELETE, UPDATE or MERGE on a
// table with the deletionVectors feature marks rows deleted instead of
// rewriting the file; every reader of the file must leave those rows out.
//
// Stored forms: inline in the log ('i', Z85 of the serialized vector), or
// at an offset in a file ('u': deletion_vector_<uuid>.bin under the table
// root; 'p': an absolute path). In a file, the vector at its offset is
// framed as a 4-byte big-endian size, the serialized vector, and the
// big-endian CRC-32 of the serialized bytes. A serialized vector is the
// little-endian magic number 1681511377 followed by a 64-bit Roaring
// bitmap in the portable format (read here with CRoaring).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array/array_primitive.h>

#include "delta/table_layout.hpp"
#include "lake/delta/actions.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

// Row positions (0-based, in the data file's order) a vector deletes.
class DeletedRows {
 public:
  struct Bitmap;  // CRoaring's, kept out of this header
  explicit DeletedRows(std::unique_ptr<Bitmap> bitmap);
  DeletedRows(DeletedRows&&) noexcept;
  DeletedRows& operator=(DeletedRows&&) noexcept;
  ~DeletedRows();

  // The serialized vector (magic number and portable 64-bit Roaring
  // bitmap); ErrorCode::invalid_argument naming `where` when it is not one.
  [[nodiscard]] static Result<std::unique_ptr<DeletedRows>> parse(std::string_view bytes, std::string_view where);
  // A vector deleting nothing (a file that had none).
  [[nodiscard]] static std::unique_ptr<DeletedRows> none();

  [[nodiscard]] std::unique_ptr<DeletedRows> copy() const;
  // Deletes the rows `gone` selects among the rows this vector leaves: its
  // i-th entry is the file's i-th row not yet deleted (rows as a reader
  // of the logical file sees them). Returns how many rows it deleted.
  std::uint64_t delete_remaining(const arrow::BooleanArray& gone);
  // The serialized vector: the magic number and the portable form,
  // run-length encoded where that is smaller.
  [[nodiscard]] std::string serialize();

  [[nodiscard]] bool contains(std::uint64_t row) const;
  // How many of the rows [begin, end) are deleted.
  [[nodiscard]] std::uint64_t count_in(std::uint64_t begin, std::uint64_t end) const;
  [[nodiscard]] std::uint64_t cardinality() const;

 private:
  std::unique_ptr<Bitmap> bitmap_;
};

// Vectors written to a new file (see write_deletion_vectors).
struct WrittenVectors {
  std::string key;  // the file's backend key ("" when there was nothing to write)
  std::vector<DeletionVector> descriptors;
};

// Writes `vectors` into one new file, deletion_vector_<uuid>.bin under the
// table root (the file format version byte, then each vector framed by
// its size and CRC-32), and returns their 'u' descriptors in the same
// order. Each vector is serialized as it is (the caller keeps them).
[[nodiscard]] Result<WrittenVectors> write_deletion_vectors(Backend& backend, const TableLayout& layout,
                                                            const std::vector<DeletedRows*>& vectors);

// The backend key of an on-disk vector: a 'u' vector's file under the
// table root, a 'p' vector's absolute path when it is under the root.
// ErrorCode::invalid_argument for an inline vector, or a path outside the
// table (see TableLayout::key_of).
[[nodiscard]] Result<std::string> deletion_vector_key(const TableLayout& layout, const DeletionVector& vector);

// The rows `vector` (the deletion vector of data file `data_file`)
// deletes, read from the log or its file and checked against its frame's
// size and checksum and the cardinality the log states. A vector that
// fails a check is ErrorCode::invalid_argument naming the data file: its
// rows cannot be told apart, so the file is not read at all.
[[nodiscard]] Result<std::unique_ptr<DeletedRows>> load_deleted_rows(Backend& backend, const TableLayout& layout,
                                                                     const DeletionVector& vector,
                                                                     std::string_view data_file);

}  // namespace lake::delta
