// The local-directory backend. Every object is written to a hidden
// temporary file next to its target, fsynced, and only then published:
//   - overwrite: rename(temp, target), atomic replace;
//   - create:    link(temp, target), which fails with EEXIST if anything
//                is there, so put-if-absent is one atomic system call and
//                never a check-then-write race; the temp name is unlinked.
// Either way a reader sees the old object, the new one whole, or nothing.
// The directory is fsynced after publishing (and after creating any
// directory), so a published object survives a crash.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <format>
#include <random>
#include <system_error>
#include <utility>

#include "core/propagate.hpp"
#include "lake/storage/backend.hpp"

namespace lake {
namespace {

namespace fs = std::filesystem;

std::string os_message(int err) { return std::generic_category().message(err); }

Error io_error(std::string_view what, std::string_view key, int err) {
  return Error(ErrorCode::io, std::format("{} {}: {}", what, key, os_message(err)));
}

Error not_found(std::string_view key) { return Error(ErrorCode::not_found, std::format("{} not found", key)); }

// Temporary files are ".<base>.tmp-<unique>"; list() hides such names, so
// keys may not contain them (the object would be invisible to list()).
bool is_temp_name(std::string_view name) {
  return name.starts_with('.') && name.find(".tmp-") != std::string_view::npos;
}

Status check_file_key(std::string_view key) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  for (std::size_t start = 0; start <= key.size();) {
    const std::size_t end = std::min(key.find('/', start), key.size());
    if (is_temp_name(key.substr(start, end - start)))
      return fail(ErrorCode::invalid_argument,
                  std::format("invalid storage key '{}': '.<name>.tmp-' names are reserved for temporary files", key));
    start = end + 1;
  }
  return {};
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Closes and reports the error close() gives (it can carry a deferred
  // write error on some file systems).
  [[nodiscard]] int close() noexcept { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_ = -1;
};

Fd open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do fd = ::open(path, flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  return Fd(fd);
}

Status write_all(int fd, std::span<const std::byte> data, std::string_view key) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(io_error("write", key, errno));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Status fsync_dir(const fs::path& dir, std::string_view key) {
  Fd fd = open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd.get() < 0) return std::unexpected(io_error("open directory of", key, errno));
  if (::fsync(fd.get()) != 0) return std::unexpected(io_error("fsync directory of", key, errno));
  return {};
}

// Creates the directories of key below root, fsyncing each new directory's
// parent so the new entry is as durable as the object published into it.
// A concurrent remove() of another key may prune a parent that was just
// made or found (it was empty for a moment: two staged writes starting and
// ending under _staging/ at once): mkdir of the next level then fails with
// ENOENT, and the walk starts again from the top.
Status make_parents(const fs::path& root, std::string_view key) {
  constexpr int kAttempts = 16;
  for (int attempt = 1;; ++attempt) {
    fs::path dir = root;
    bool vanished = false;
    for (std::size_t start = 0, end; (end = key.find('/', start)) != std::string_view::npos; start = end + 1) {
      fs::path parent = dir;
      dir /= key.substr(start, end - start);
      if (::mkdir(dir.c_str(), 0777) == 0) {
        LAKE_RETURN_IF_ERROR(fsync_dir(parent, key));
      } else if (errno == ENOENT && attempt < kAttempts) {
        vanished = true;
        break;
      } else if (errno != EEXIST) {
        return std::unexpected(io_error("create directory for", key, errno));
      }
    }
    if (!vanished) return {};
  }
}

struct TempFile {
  fs::path path;
  Fd fd;
};

// A fresh, exclusively created temporary file in dir. The pid and a
// counter make names unique across processes and threads (even after
// fork() copies this process's state); O_EXCL makes that certain.
Result<TempFile> create_temp(const fs::path& dir, std::string_view base, std::string_view key) {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::random_device device;
  // Long names are cut so the temp name stays within NAME_MAX.
  const std::string_view stem = base.substr(0, 64);
  for (int attempt = 0; attempt < 16; ++attempt) {
    fs::path path = dir / std::format(".{}.tmp-{:x}-{:x}-{:08x}", stem, ::getpid(), counter.fetch_add(1), device());
    Fd fd = open_retrying(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd.get() >= 0) return TempFile{std::move(path), std::move(fd)};
    if (errno != EEXIST) return std::unexpected(io_error("create temporary file for", key, errno));
  }
  return fail(ErrorCode::io, std::format("create temporary file for {}: no unique name found", key));
}

// Makes a fully written, fsynced and closed temporary file the object at
// target. The temporary name is gone afterwards, whatever the outcome.
Status publish(const fs::path& temp, const fs::path& target, std::string_view key, PutMode mode) {
  if (mode == PutMode::overwrite) {
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      const int err = errno;
      ::unlink(temp.c_str());
      return std::unexpected(io_error("rename into", key, err));
    }
  } else {
    const int rc = ::link(temp.c_str(), target.c_str());
    const int err = errno;
    ::unlink(temp.c_str());
    if (rc != 0) {
      if (err == EEXIST) return fail(ErrorCode::already_exists, std::format("{} already exists", key));
      return std::unexpected(io_error("link into", key, err));
    }
  }
  return fsync_dir(target.parent_path(), key);
}

// fsync + close + publish; on any failure the temporary file is removed.
Status finish(TempFile& temp, const fs::path& target, std::string_view key, PutMode mode) {
  int err = 0;
  const char* what = nullptr;
  if (::fsync(temp.fd.get()) != 0) {
    err = errno;
    what = "fsync";
  }
  if (temp.fd.close() != 0 && what == nullptr) {
    err = errno;
    what = "close";
  }
  if (what != nullptr) {
    ::unlink(temp.path.c_str());
    return std::unexpected(io_error(what, key, err));
  }
  return publish(temp.path, target, key, mode);
}

timestamp mtime_of(const struct stat& st) {
  using namespace std::chrono;
  return timestamp{duration_cast<microseconds>(seconds{st.st_mtim.tv_sec} + nanoseconds{st.st_mtim.tv_nsec})};
}

Result<std::vector<std::byte>> read_at(int fd, std::int64_t offset, std::int64_t count, std::string_view key) {
  std::vector<std::byte> out(static_cast<std::size_t>(count));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(io_error("read", key, errno));
    }
    if (n == 0) break;  // the file is shorter than its stat said
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

class FileWriter final : public ObjectWriter {
 public:
  FileWriter(std::string key, fs::path target, TempFile temp, PutMode mode)
      : key_(std::move(key)), target_(std::move(target)), temp_(std::move(temp)), mode_(mode) {}
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  ~FileWriter() override {
    if (!closed_) {
      temp_.fd.reset();
      ::unlink(temp_.path.c_str());
    }
  }

  Status write(std::span<const std::byte> data) override {
    if (closed_) return fail(ErrorCode::closed, std::format("writer for {} is closed", key_));
    if (!write_status_) return write_status_;
    // A failed write may have written part of data: the object can no
    // longer be published whole, so close() will discard it.
    write_status_ = write_all(temp_.fd.get(), data, key_);
    if (write_status_) written_ += static_cast<std::int64_t>(data.size());
    return write_status_;
  }

  Status close() override {
    if (closed_) return result_;
    closed_ = true;
    if (!write_status_) {
      temp_.fd.reset();
      ::unlink(temp_.path.c_str());
      result_ = write_status_;
    } else {
      result_ = finish(temp_, target_, key_, mode_);
    }
    return result_;
  }

  std::int64_t bytes_written() const noexcept override { return written_; }

 private:
  std::string key_;
  fs::path target_;
  TempFile temp_;
  PutMode mode_;
  bool closed_ = false;
  std::int64_t written_ = 0;
  Status write_status_;  // the first failed write, if any, sticks
  Status result_;
};

class FileBackend final : public Backend {
 public:
  explicit FileBackend(fs::path root) : root_(std::move(root)), uri_("file://" + root_.string()) {}

  std::string_view name() const noexcept override { return "file"; }
  std::string root_uri() const override { return uri_; }

  Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override {
    auto temp = start_write(key);
    LAKE_RETURN_IF_ERROR(temp);
    if (auto ok = write_all(temp->fd.get(), data, key); !ok) {
      temp->fd.reset();
      ::unlink(temp->path.c_str());
      return ok;
    }
    return finish(*temp, path_of(key), key, mode);
  }

  Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override {
    auto temp = start_write(key);
    LAKE_RETURN_IF_ERROR(temp);
    return std::make_unique<FileWriter>(std::string(key), path_of(key), std::move(*temp), mode);
  }

  Result<std::vector<std::byte>> get(std::string_view key) override {
    struct stat st {};
    auto fd = open_object(key, st);
    LAKE_RETURN_IF_ERROR(fd);
    return read_at(fd->get(), 0, st.st_size, key);
  }

  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) override {
    if (offset < 0 || length < 0)
      return fail(ErrorCode::invalid_argument,
                  std::format("{}: negative range (offset {}, length {})", key, offset, length));
    struct stat st {};
    auto fd = open_object(key, st);
    LAKE_RETURN_IF_ERROR(fd);
    const std::int64_t size = st.st_size;
    if (offset >= size) return std::vector<std::byte>{};
    return read_at(fd->get(), offset, std::min(length, size - offset), key);
  }

  Result<ObjectInfo> head(std::string_view key) override {
    LAKE_RETURN_IF_ERROR(check_file_key(key));
    struct stat st {};
    if (::stat(path_of(key).c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::unexpected(not_found(key));
      return std::unexpected(io_error("stat", key, errno));
    }
    if (!S_ISREG(st.st_mode)) return std::unexpected(not_found(key));
    return ObjectInfo{std::string(key), st.st_size, mtime_of(st)};
  }

  Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override {
    LAKE_RETURN_IF_ERROR(check_prefix(prefix));
    // Walk only the directory the prefix names; its last part (if any)
    // may be the start of a file or directory name and is a filter.
    const std::size_t slash = prefix.rfind('/');
    const std::string dir_key(slash == std::string_view::npos ? std::string_view{} : prefix.substr(0, slash + 1));
    std::vector<ObjectInfo> out;
    LAKE_RETURN_IF_ERROR(walk(root_ / dir_key, dir_key, prefix, start_after, out));
    std::ranges::sort(out, {}, &ObjectInfo::key);  // std::string's order is byte order
    return out;
  }

  Status remove(std::string_view key) override {
    LAKE_RETURN_IF_ERROR(check_file_key(key));
    if (::unlink(path_of(key).c_str()) == 0) {
      prune_empty_parents(key);
      return {};
    }
    // Missing is success (remove is idempotent); a directory is no object.
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return {};
    return std::unexpected(io_error("remove", key, errno));
  }

 private:
  [[nodiscard]] fs::path path_of(std::string_view key) const { return root_ / key; }

  // Object stores have no directories, so neither should a removed key
  // leave one behind here (every staged write would leave an empty
  // _staging/<ingest id>/). rmdir only removes an empty directory, so a
  // directory another writer has put a file in stays.
  void prune_empty_parents(std::string_view key) const {
    for (auto slash = key.rfind('/'); slash != std::string_view::npos && slash > 0; slash = key.rfind('/', slash - 1)) {
      if (::rmdir(path_of(key.substr(0, slash)).c_str()) != 0) break;
    }
  }

  Result<TempFile> start_write(std::string_view key) {
    LAKE_RETURN_IF_ERROR(check_file_key(key));
    const fs::path target = path_of(key);
    for (int attempt = 0;; ++attempt) {
      LAKE_RETURN_IF_ERROR(make_parents(root_, key));
      auto temp = create_temp(target.parent_path(), target.filename().native(), key);
      // A concurrent remove() may prune the directory between its creation
      // and the temp file's; then make it again.
      if (temp || attempt == 8 || fs::is_directory(target.parent_path())) return temp;
    }
  }

  Result<Fd> open_object(std::string_view key, struct stat& st) {
    LAKE_RETURN_IF_ERROR(check_file_key(key));
    Fd fd = open_retrying(path_of(key).c_str(), O_RDONLY);
    if (fd.get() < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::unexpected(not_found(key));
      return std::unexpected(io_error("open", key, errno));
    }
    if (::fstat(fd.get(), &st) != 0) return std::unexpected(io_error("stat", key, errno));
    if (!S_ISREG(st.st_mode)) return std::unexpected(not_found(key));
    return fd;
  }

  // Appends the objects under dir (whose key form is dir_key: "" or ending
  // in '/') that start with prefix and sort after start_after; names before
  // it cost no stat(). Entries that vanish mid-walk (a concurrent remove)
  // are skipped rather than failing the listing.
  Status walk(const fs::path& dir, const std::string& dir_key, std::string_view prefix, std::string_view start_after,
              std::vector<ObjectInfo>& out) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return {};
      return fail(ErrorCode::io, std::format("list {}: {}", dir_key, ec.message()));
    }
    for (const fs::directory_iterator end; it != end;) {
      const fs::directory_entry& entry = *it;
      const std::string name = entry.path().filename().string();
      const std::string key = dir_key + name;
      if (!is_temp_name(name)) {
        const fs::file_status status = entry.symlink_status(ec);
        if (!ec && fs::is_directory(status)) {
          // Descend only where keys can still match the prefix.
          const std::string sub_key = key + '/';
          // and after start_after (every key below sorts after sub_key, and
          // before start_after when sub_key does and is not its prefix).
          const bool all_before = sub_key < start_after && !start_after.starts_with(sub_key);
          if ((sub_key.starts_with(prefix) || prefix.starts_with(sub_key)) && !all_before)
            LAKE_RETURN_IF_ERROR(walk(entry.path(), sub_key, prefix, start_after, out));
        } else if (!ec && key.starts_with(prefix) && std::string_view(key) > start_after) {
          struct stat st {};
          if (::stat(entry.path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            out.push_back({key, st.st_size, mtime_of(st)});
        }
      }
      it.increment(ec);
      if (ec) return fail(ErrorCode::io, std::format("list {}: {}", dir_key, ec.message()));
    }
    return {};
  }

  fs::path root_;
  std::string uri_;
};

}  // namespace

Result<std::unique_ptr<Backend>> file_backend(const fs::path& root) {
  if (root.empty()) return fail(ErrorCode::invalid_argument, "file backend root is empty");
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return fail(ErrorCode::io, std::format("create storage root {}: {}", root.string(), ec.message()));
  fs::path canonical = fs::canonical(root, ec);
  if (ec) return fail(ErrorCode::io, std::format("resolve storage root {}: {}", root.string(), ec.message()));
  if (!fs::is_directory(canonical, ec))
    return fail(ErrorCode::io, std::format("storage root {} is not a directory", root.string()));
  return std::make_unique<FileBackend>(std::move(canonical));
}

}  // namespace lake
