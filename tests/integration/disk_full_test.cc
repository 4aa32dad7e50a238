// A full data disk on a real node: node 3 of a 4-node devnet keeps its data on a small tmpfs
// (mounted by the test; it needs CAP_SYS_ADMIN and skips without it). The test fills that disk to
// 1 MiB free: node 3 refuses client writes with RESOURCE_EXHAUSTED naming the disk and the limit,
// pauses its own writes (below its storage floor) and stays up, while the other three keep
// committing. When space returns it takes writes again, catches up to the same tree, and after a
// SIGKILL and restart its data opens intact at the same root.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/devnet_fixture.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kSmall = 3;
// Smaller than RocksDB's WAL preallocation (~70 MB), so every WAL append needs real space.
constexpr const char* kTmpfsOptions = "size=48m";

class DiskFullTest : public DevnetTest {
 protected:
  void TearDown() override {
    DevnetTest::TearDown();  // nodes stop first
    if (!mount_.empty()) {
      ::umount2(mount_.c_str(), MNT_DETACH);
      std::filesystem::remove_all(mount_);
    }
  }

  // Writes a file that leaves `leave` bytes free on the filesystem (never 0: a real ENOSPC
  // inside RocksDB is not what this test is about). Returns the bytes written.
  uint64_t FillLeaving(const std::string& path, uint64_t leave) {
    struct statvfs vfs {};
    if (::statvfs(mount_.c_str(), &vfs) != 0) return 0;
    const uint64_t free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (free <= leave) return 0;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 0;
    const std::string chunk(1 << 20, 'f');
    uint64_t written = 0;
    while (written < free - leave) {
      const size_t n = std::min<uint64_t>(chunk.size(), free - leave - written);
      if (std::fwrite(chunk.data(), 1, n, f) != n) break;
      written += n;
    }
    std::fclose(f);
    return written;
  }

  std::string mount_;
};

TEST_F(DiskFullTest, FullDiskRefusesWritesThenRecoversIntact) {
  mount_ = (std::filesystem::temp_directory_path() / ("coal_disk_" + std::to_string(::getpid())))
               .string();
  std::filesystem::create_directories(mount_);
  if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, kTmpfsOptions) != 0) {
    std::filesystem::remove_all(mount_);
    const std::string why = std::strerror(errno);
    mount_.clear();
    GTEST_SKIP() << "cannot mount a small tmpfs (" << why << "); needs CAP_SYS_ADMIN";
  }
  StartDevnet(4, "", [&](int i, node::NodeConfig* config) {
    if (i != kSmall) return;
    config->data_dir = mount_ + "/data";
    config->limits.disk_free_min_bytes = 8 << 20;  // client writes refused below 8 MiB free,
                                                   // own writes paused below 2 MiB
  });
  ASSERT_FALSE(HasFatalFailure());
  auto key = MemberKey("cloud-a");
  auto submit = [&](int node, const std::string& subject, int deadline_ms = 15000) {
    coalition::v1::SubmitResponse resp;
    auto st = Submit(node, Attestation(*key, "cloud-a", subject), true, &resp, deadline_ms);
    return std::make_pair(st, resp);
  };
  for (int k = 0; k < 3; ++k) {
    auto [st, resp] = submit(kSmall, "before-" + std::to_string(k));
    ASSERT_TRUE(st.ok() && resp.committed()) << st.error_message() << NodeLog(kSmall);
  }

  const std::string filler = mount_ + "/filler";
  const uint64_t filled = FillLeaving(filler, 1 << 20);
  ASSERT_GT(filled, 0u);
  std::printf("filled the %s tmpfs with %llu MiB\n", kTmpfsOptions,
              static_cast<unsigned long long>(filled >> 20));

  // A clear refusal at node 3 (its free-space reading refreshes within 200 ms)...
  grpc::Status refused;
  ASSERT_TRUE(WaitFor(
      [&] {
        refused = submit(kSmall, "refused", 3000).first;
        return refused.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
      },
      10s))
      << refused.error_message();
  EXPECT_NE(refused.error_message().find("data disk full"), std::string::npos);
  EXPECT_NE(refused.error_message().find("limits.disk_free_min_bytes"), std::string::npos);

  // ...while the other three commit, and node 3 stays up.
  for (int k = 0; k < 5; ++k) {
    auto [st, resp] = submit(k % 3, "during-" + std::to_string(k));
    ASSERT_TRUE(st.ok() && resp.committed()) << st.error_message() << Trees();
  }
  const uint64_t majority = Status(0)->tree_size();
  auto during = Status(kSmall);
  ASSERT_TRUE(during.ok()) << "node 3 went down on a full disk\n" << NodeLog(kSmall);
  std::printf("during: node 3 at %llu of %llu entries\n",
              static_cast<unsigned long long>(during->tree_size()),
              static_cast<unsigned long long>(majority));

  // Space returns: node 3 takes writes again and catches up.
  std::filesystem::remove(filler);
  ASSERT_TRUE(WaitConverged(majority, 30s)) << Trees() << "\n" << NodeLog(kSmall);
  ASSERT_TRUE(WaitFor([&] { return submit(kSmall, "after", 5000).first.ok(); }, 10s))
      << NodeLog(kSmall);
  const uint64_t size = Status(0)->tree_size();
  ASSERT_TRUE(WaitConverged(size, 30s)) << Trees();

  // Its data survived intact: SIGKILL, restart, same tree.
  ASSERT_TRUE(tools::DevnetKillNode(dir_, kSmall).ok());
  ASSERT_TRUE(tools::DevnetStartNode(dir_, kSmall, BinDir() + "/coalition-node").ok());
  ASSERT_TRUE(WaitFor([&] { return Status(kSmall).ok(); }, 30s)) << NodeLog(kSmall);
  ASSERT_TRUE(WaitConverged(size, 30s)) << Trees();
}

}  // namespace
}  // namespace coal::testing
