// An Env that reads table files with pread(2) instead of LevelDB's default
// read-only memory maps. Mapped pages a lookup touches count in the process's
// resident set, so a data set larger than the memory budget would show up as
// store memory; read with pread, uncached blocks stay in the kernel's page
// cache, as they do for RocksDB (whose default is pread too).
#ifndef JITSKIT_BASELINE_LEVELDB_PREAD_ENV_H_
#define JITSKIT_BASELINE_LEVELDB_PREAD_ENV_H_

#include <fcntl.h>
#include <leveldb/env.h>
#include <leveldb/status.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace jitskit {
namespace baseline {

class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadFile() override { ::close(fd_); }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        *result = leveldb::Slice(scratch, 0);
        return leveldb::Status::IOError(name_, std::strerror(errno));
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  std::string name_;
  int fd_;
};

class PreadEnv final : public leveldb::EnvWrapper {
 public:
  PreadEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override {
    int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *result = nullptr;
      int error = errno;
      return error == ENOENT ? leveldb::Status::NotFound(name, std::strerror(error))
                             : leveldb::Status::IOError(name, std::strerror(error));
    }
    *result = new PreadFile(name, fd);
    return leveldb::Status::OK();
  }
};

}  // namespace baseline
}  // namespace jitskit

#endif  // JITSKIT_BASELINE_LEVELDB_PREAD_ENV_H_
