// Whole-buffer positional reads and writes on a file descriptor, with errors that name what was
// being read or written (and say so when the disk is full).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace lowbit {

class Fd {
 public:
  Fd(const std::string& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

inline void read_exact(int fd, void* buf, size_t n, uint64_t offset, const std::string& what) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw std::runtime_error(what + ": read failed" + (r < 0 ? std::string(": ") + std::strerror(errno) : std::string(": unexpected end of file")));
    p += r; n -= static_cast<size_t>(r); offset += static_cast<uint64_t>(r);
  }
}

inline void write_exact(int fd, const void* buf, size_t n, uint64_t offset, const std::string& what) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::runtime_error(what + ": write failed: " + (w < 0 ? std::strerror(errno) : "no space written") +
                                         (errno == ENOSPC ? " (the disk is full)" : ""));
    p += w; n -= static_cast<size_t>(w); offset += static_cast<uint64_t>(w);
  }
}

}  // namespace lowbit
