#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/bytes.h"
#include "crypto/status_macros.h"

namespace coal::crypto {
namespace {

constexpr char kHeader[] = "coalition-ed25519-private-key v1";
constexpr size_t kKeyFileBytesMax = 4096;

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(what + " " + path + ": " + std::strerror(errno));
}

// Writes `contents` to `path` via a temp file + fsync + rename, with `mode`.
absl::Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  ::fchmod(fd, mode);  // umask may have narrowed it; never widens beyond `mode`
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return ErrnoError("cannot write", tmp);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return ErrnoError("cannot sync", tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename to", path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open key file " + path);
  std::string data(kKeyFileBytesMax + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kKeyFileBytesMax) {
    return absl::InvalidArgumentError("key file " + path + " is too large");
  }
  return data;
}

std::string TrimLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

absl::Status WriteKeyFile(const std::string& path, const Ed25519Signer& signer) {
  std::string seed = signer.seed();
  std::string contents = std::string(kHeader) + "\n" + Base64Encode(seed) + "\n";
  std::fill(seed.begin(), seed.end(), '\0');
  return WriteFileAtomic(path, contents, 0600);
}

absl::StatusOr<std::unique_ptr<Ed25519Signer>> LoadKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return absl::NotFoundError("key file not found: " + path);
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError("key file " + path +
                                       " is readable by group or others; chmod 600 it");
  }
  ASSIGN_OR_RETURN(std::string data, ReadSmallFile(path));
  const size_t nl = data.find('\n');
  if (nl == std::string::npos || data.substr(0, nl) != kHeader) {
    return absl::InvalidArgumentError("key file " + path + ": missing header '" + kHeader + "'");
  }
  auto seed = Base64Decode(TrimLine(std::string_view(data).substr(nl + 1)));
  if (!seed.ok()) return absl::InvalidArgumentError("key file " + path + ": seed is not base64");
  if (seed->size() != kSeedBytes) {
    return absl::InvalidArgumentError("key file " + path + ": seed must be 32 bytes, got " +
                                      std::to_string(seed->size()));
  }
  return Ed25519Signer::FromSeed(*seed);
}

absl::Status WritePublicKeyFile(const std::string& path, std::string_view public_key) {
  return WriteFileAtomic(path, Base64Encode(public_key) + "\n", 0644);
}

absl::StatusOr<std::string> ParsePublicKey(std::string_view base64) {
  auto pk = Base64Decode(TrimLine(base64));
  if (!pk.ok()) return absl::InvalidArgumentError("public key is not base64");
  if (pk->size() != kPublicKeyBytes) {
    return absl::InvalidArgumentError("public key must be 32 bytes, got " +
                                      std::to_string(pk->size()));
  }
  return *pk;
}

absl::StatusOr<std::string> LoadPublicKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadSmallFile(path));
  return ParsePublicKey(data);
}

}  // namespace coal::crypto
