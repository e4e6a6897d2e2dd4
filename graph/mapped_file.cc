#include "graph/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "graph/error.h"

namespace wrun::graph {

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  WRUN_CHECK(fd >= 0, "cannot open '", path, "': ", std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("'", path, "' is not a regular file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (max_bytes && size > max_bytes) {
    ::close(fd);
    fail("'", path, "' has ", size, " bytes, above the limit of ", max_bytes);
  }
  std::shared_ptr<MappedFile> m(new MappedFile, Deleter{});
  m->path_ = path;
  if (size) {
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    WRUN_CHECK(p != MAP_FAILED, "cannot map '", path, "': ", std::strerror(err));
    m->data_ = static_cast<const uint8_t*>(p);
    m->size_ = size;
  } else {
    ::close(fd);
  }
  return m;
}

std::shared_ptr<const MappedFile> MappedFile::copy_of(std::string_view bytes) {
  std::shared_ptr<MappedFile> m(new MappedFile, Deleter{});
  if (bytes.empty()) return m;
  void* p = mmap(nullptr, bytes.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  WRUN_CHECK(p != MAP_FAILED, "out of memory copying ", bytes.size(), " bytes of model");
  std::memcpy(p, bytes.data(), bytes.size());
  mprotect(p, bytes.size(), PROT_READ);
  m->data_ = static_cast<const uint8_t*>(p);
  m->size_ = bytes.size();
  return m;
}

const MappedFile* MappedFile::of(const std::shared_ptr<const void>& owner) {
  // Only mappings made here carry this deleter, so the cast below is safe.
  if (!owner || !std::get_deleter<Deleter>(owner)) return nullptr;
  return static_cast<const MappedFile*>(owner.get());
}

}  // namespace wrun::graph
