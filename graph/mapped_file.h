// Read-only memory-mapped files (model files and external-data files). Constants point into the
// mapping and keep it alive through their `owner`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wrun::graph {

class MappedFile {
 public:
  // Maps a regular file read-only. Fails (wrun::Error) naming the path if it cannot be opened,
  // is not a regular file, or is larger than max_bytes (0: no limit). An empty file maps to
  // size() == 0 with data() == nullptr.
  static std::shared_ptr<const MappedFile> open(const std::string& path, size_t max_bytes = 0);
  // An anonymous read-only mapping holding a copy of `bytes` (for models loaded from memory).
  static std::shared_ptr<const MappedFile> copy_of(std::string_view bytes);
  // The mapping that `owner` (e.g. a Constant's owner) keeps alive, or nullptr if it is not one.
  static const MappedFile* of(const std::shared_ptr<const void>& owner);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::string& path() const { return path_; }  // empty for copy_of
  bool contains(const void* p, size_t n) const {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(data_);
    return data_ && a >= b && a - b <= size_ && n <= size_ - (a - b);
  }

 private:
  struct Deleter {
    void operator()(const MappedFile* m) const { delete m; }
  };
  MappedFile() = default;
  ~MappedFile();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace wrun::graph
