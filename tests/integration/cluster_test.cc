// The replicated node end to end (issue: replicated node): a 4-node devnet of real processes on
// 127.0.0.1 commits entries submitted to any node; all nodes hold identical logs and roots; a
// killed node catches up; a whole-cluster kill keeps every acknowledged entry; bad entries get the
// specific gRPC code and are not stored; peers without (or with a foreign) TLS certificate are
// refused.
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "tests/integration/devnet_fixture.h"
#include "tools/coalctl/devnet.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

class ClusterTest : public DevnetTest {
 protected:
  // Waits until every running node reports the same non-empty tree of at least `size` entries.
  bool Converged(uint64_t size, const std::vector<int>& nodes = {0, 1, 2, 3}) {
    return WaitFor(
        [&] {
          std::set<std::string> roots;
          for (int i : nodes) {
            auto s = Status(i);
            if (!s.ok() || s->tree_size() < size) return false;
            roots.insert(std::to_string(s->tree_size()) + ":" + ToHex(s->root()));
          }
          return roots.size() == 1;
        },
        30s);
  }

  coalition::v1::GetEntryResponse GetByDigest(int node, const std::string& digest,
                                              grpc::Status* st) {
    coalition::v1::GetEntryRequest req;
    req.set_digest(digest);
    coalition::v1::GetEntryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    *st = stubs_[node]->GetEntry(&ctx, req, &resp);
    return resp;
  }
};

TEST_F(ClusterTest, EntriesSubmittedToAnyNodeCommitEverywhereWithIdenticalRoots) {
  StartDevnet();
  auto key = MemberKey("cloud-a");
  for (int i = 0; i < 8; ++i) {
    coalition::v1::SubmitResponse resp;
    auto st =
        Submit(i % 4, Attestation(*key, "cloud-a", "entry-" + std::to_string(i)), true, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << NodeLog(i % 4);
    EXPECT_TRUE(resp.committed());
    EXPECT_TRUE(resp.outcome().accepted()) << resp.outcome().reason();
  }
  ASSERT_TRUE(Converged(8)) << NodeLog(0);
  // Each node checks each entry's signature with Ed25519 once: admission (or the forward from a
  // peer) and execution share the node's signature cache, whichever comes first pays.
  for (int i = 0; i < 4; ++i) {
    const std::string page = MetricsPage(i);
    EXPECT_EQ(MetricValue(page, "coal_signature_verifications_total"), 8u) << "node " << i;
    EXPECT_GE(MetricValue(page, "coal_signature_cache_hits_total"), 1u) << "node " << i;
  }
  // In step with the others: no block waits for a missing parent, no fetch stays in flight, and
  // the core holds the committed root plus the few blocks above it.
  for (int i = 0; i < 4; ++i) {
    std::string page;
    EXPECT_TRUE(WaitFor(
        [&] {
          page = MetricsPage(i);
          return MetricValue(page, "coal_consensus_pending_blocks") == 0 &&
                 MetricValue(page, "coal_consensus_fetches") == 0;
        },
        10s))
        << "node " << i << "\n" << page;
    const uint64_t tree = MetricValue(page, "coal_consensus_tree_blocks");
    EXPECT_GE(tree, 1u) << "node " << i;
    EXPECT_LE(tree, 8u) << "node " << i;
  }
  // Quorum checkpoints follow, with the height of the block that brought the log to their size.
  ASSERT_TRUE(WaitFor([&] { return Status(0)->checkpoint_size() >= 8; }, 20s));
  auto proofs = coalition::v1::ProofService::NewStub(tools::Connect(nodes_[0].client_addr));
  coalition::v1::Checkpoint cp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(proofs->LatestCheckpoint(&ctx, {}, &cp).ok());
  ASSERT_GE(cp.size(), 8u);
  coalition::v1::GetEntryRequest last;
  last.set_log_index(cp.size() - 1);
  coalition::v1::GetEntryResponse entry;
  grpc::ClientContext ectx;
  ASSERT_TRUE(stubs_[0]->GetEntry(&ectx, last, &entry).ok());
  EXPECT_GT(cp.height(), 0u);
  EXPECT_EQ(cp.height(), entry.record().height());
}

// A genesis without checkpoint_interval_ms (0): every block that grows the log is cosigned.
TEST_F(ClusterTest, WithoutACheckpointIntervalEveryBlockThatGrowsTheLogIsCosigned) {
  checkpoint_interval_ms_ = 0;
  StartDevnet();
  auto key = MemberKey("cloud-a");
  // One entry at a time, each waiting for its commit: 6 blocks that grow the log.
  for (int i = 0; i < 6; ++i) {
    coalition::v1::SubmitResponse resp;
    auto st = Submit(i % 4, Attestation(*key, "cloud-a", "every-block-" + std::to_string(i)),
                     /*wait=*/true, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << NodeLog(i % 4);
  }
  ASSERT_TRUE(Converged(6)) << NodeLog(0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(WaitFor([&] { return Status(i).ok() && Status(i)->checkpoint_size() == 6; }, 20s))
        << "node " << i;
    EXPECT_EQ(MetricValue(MetricsPage(i), "coal_cosignatures_total"), 6u) << "node " << i;
  }
}

TEST_F(ClusterTest, BadEntriesGetSpecificCodesAndAreNotStored) {
  StartDevnet();
  auto cloud = MemberKey("cloud-a");
  auto enforce = MemberKey("enforce-a");
  coalition::v1::SubmitResponse resp;

  // Wrongly signed: signed by another member's key.
  auto forged = Attestation(*enforce, "cloud-a", "forged");
  auto st = Submit(0, forged, false, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();
  // A failed call carries no response body: the client computes the digest itself.
  const std::string forged_digest = crypto::EnvelopeDigest(forged);
  ASSERT_EQ(forged_digest.size(), 32u);

  // Oversized: one byte of payload over the 64 KiB entry limit.
  st = Submit(1, Attestation(*cloud, "cloud-a", "big", 64 * 1024), false, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("exceeds entry_bytes_max"), std::string::npos);

  // Unknown member.
  st = Submit(2, Attestation(*cloud, "nobody", "stranger"), false, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message(), "header.author: 'nobody' is not a genesis member");

  // Wrong role: a cloud provider may not flag shipments.
  coalition::v1::FlaggedShipment ship;
  auto* h = ship.mutable_header();
  h->set_author("cloud-a");
  h->set_created_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
  h->set_nonce("role-test-nonce");
  h->set_chain_id(chain_id_);
  ship.set_shipment_id("BL-1");
  st = Submit(
      3, crypto::MakeEnvelope(*cloud, "coalition.v1.FlaggedShipment", ship.SerializeAsString()),
      false, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A good entry commits; the forged one is in no node's log.
  ASSERT_TRUE(Submit(0, Attestation(*cloud, "cloud-a", "good"), true, &resp).ok());
  const uint64_t size = resp.log_index() + 1;
  ASSERT_TRUE(Converged(size));
  for (int i = 0; i < 4; ++i) {
    grpc::Status get;
    GetByDigest(i, forged_digest, &get);
    EXPECT_EQ(get.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(Status(i)->tree_size(), size);
  }
}

TEST_F(ClusterTest, KilledNodeCatchesUpAfterRestart) {
  StartDevnet();
  auto key = MemberKey("cloud-a");
  coalition::v1::SubmitResponse resp;
  ASSERT_TRUE(Submit(0, Attestation(*key, "cloud-a", "before"), true, &resp).ok());
  ASSERT_TRUE(tools::DevnetKillNode(dir_, 3).ok());
  for (int i = 0; i < 40; ++i) {
    auto st =
        Submit(i % 3, Attestation(*key, "cloud-a", "during-" + std::to_string(i)), true, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  const uint64_t size = resp.log_index() + 1;
  ASSERT_TRUE(Converged(size, {0, 1, 2}));
  ASSERT_TRUE(tools::DevnetStartNode(dir_, 3, BinDir() + "/coalition-node").ok());
  ASSERT_TRUE(Converged(size)) << NodeLog(3);
}

// A node down while the others commit thousands of blocks (COAL_CATCHUP_BLOCKS, default 2000):
// those blocks are pruned from every peer's consensus tree, so the node must fetch them as
// committed blocks by height, in many Sync batches (one after the other while each moves its
// ledger), verifying each commit proof. It ends with the same tree; the time from restart to
// caught up goes to the test's output.
TEST_F(ClusterTest, ANodeDownForThousandsOfBlocksCatchesUp) {
  const uint64_t behind = static_cast<uint64_t>(EnvInt("COAL_CATCHUP_BLOCKS", 2000));
  StartDevnet();
  auto key = MemberKey("cloud-a");
  coalition::v1::SubmitResponse resp;
  ASSERT_TRUE(Submit(0, Attestation(*key, "cloud-a", "before"), true, &resp).ok());
  ASSERT_TRUE(tools::DevnetKillNode(dir_, 3).ok());
  const uint64_t start = Status(0)->height();
  uint64_t size = 0;
  {
    Load load(this, key.get(), 4);
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = Status(0);
          return s.ok() && s->height() >= start + behind;
        },
        180s))
        << "height " << Status(0)->height() << ", wanted " << start + behind;
    load.Stop();
    size = std::max(CoveringSize(load.acked()), resp.log_index() + 1);
  }
  ASSERT_TRUE(Converged(size, {0, 1, 2}));
  const uint64_t height = Status(0)->height();
  const auto restarted = std::chrono::steady_clock::now();
  ASSERT_TRUE(tools::DevnetStartNode(dir_, 3, BinDir() + "/coalition-node").ok());
  Reconnect(3);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = Status(3);
        return s.ok() && s->height() >= height;
      },
      120s))
      << NodeLog(3);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - restarted);
  std::printf("node 3 caught up %llu blocks in %lld ms (restart included)\n",
              static_cast<unsigned long long>(height - start),
              static_cast<long long>(took.count()));
  ASSERT_TRUE(Converged(size)) << NodeLog(3);
  EXPECT_GT(MetricValue(MetricsPage(3), "coal_catchups_total"), 0u);
  // And it takes part again: an entry submitted to it commits everywhere.
  ASSERT_TRUE(Submit(3, Attestation(*key, "cloud-a", "after"), true, &resp).ok());
  ASSERT_TRUE(Converged(resp.log_index() + 1));
}

TEST_F(ClusterTest, WholeClusterKillKeepsEveryAcknowledgedEntry) {
  StartDevnet();
  auto key = MemberKey("cloud-a");
  std::vector<std::string> acked;
  for (int i = 0; i < 20; ++i) {
    coalition::v1::SubmitResponse resp;
    auto st =
        Submit(i % 4, Attestation(*key, "cloud-a", "acked-" + std::to_string(i)), true, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    acked.push_back(resp.digest());
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tools::DevnetKillNode(dir_, i).ok());
  ASSERT_TRUE(tools::DevnetStartAll(dir_, BinDir() + "/coalition-node").ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(WaitFor([&] { return Status(i).ok(); }, 20s)) << NodeLog(i);
  }
  for (int i = 0; i < 4; ++i) {
    for (const auto& d : acked) {
      grpc::Status st;
      auto e = GetByDigest(i, d, &st);
      ASSERT_TRUE(st.ok()) << "node " << i << " lost an acknowledged entry: " << st.error_message();
    }
  }
  // And the restarted cluster keeps committing.
  coalition::v1::SubmitResponse resp;
  ASSERT_TRUE(Submit(2, Attestation(*key, "cloud-a", "after-restart"), true, &resp).ok());
  ASSERT_TRUE(Converged(resp.log_index() + 1));
}

// Threads of a running process (0 when it cannot be read).
int ThreadsOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return 0;
}

// A call waiting for its entry to commit holds no server thread (the sync server made one per
// call), ends at the client's deadline with DEADLINE_EXCEEDED, and its entry still commits once
// the quorum is back.
TEST_F(ClusterTest, WaitingSubmitsHoldNoThreadAndEndAtTheClientDeadline) {
  StartDevnet();
  auto key = MemberKey("cloud-a");
  ASSERT_TRUE(tools::DevnetKillNode(dir_, 2).ok());
  ASSERT_TRUE(tools::DevnetKillNode(dir_, 3).ok());  // no quorum: nothing commits
  const int pid = nodes_[0].pid;
  const int threads_before = ThreadsOf(pid);
  ASSERT_GT(threads_before, 0);
  constexpr int kCalls = 200;
  std::vector<coalition::v1::Envelope> envs;
  for (int i = 0; i < kCalls; ++i) {
    envs.push_back(Attestation(*key, "cloud-a", "waiting-" + std::to_string(i)));
  }
  std::vector<grpc::StatusCode> codes(kCalls, grpc::StatusCode::OK);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      coalition::v1::SubmitResponse resp;
      codes[i] = Submit(0, envs[i], /*wait=*/true, &resp, /*deadline_ms=*/6000).error_code();
    });
  }
  const auto waiting = [&] { return MetricValue(MetricsPage(0), "coal_submits_waiting"); };
  EXPECT_TRUE(WaitFor([&] { return waiting() == kCalls; }, 5s)) << waiting();
  const int threads_waiting = ThreadsOf(pid);
  EXPECT_LT(threads_waiting, threads_before + 32)
      << "threads before " << threads_before << ", with " << kCalls << " waiting calls "
      << threads_waiting;
  for (auto& t : callers) t.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(codes[i], grpc::StatusCode::DEADLINE_EXCEEDED) << "call " << i;
  }
  EXPECT_TRUE(WaitFor([&] { return waiting() == 0; }, 5s)) << waiting();
  // A client that gives up early (cancels) frees its wait at once, long before the server's
  // 60 s limit.
  grpc::ClientContext cancel_ctx;
  cancel_ctx.set_deadline(std::chrono::system_clock::now() + 50s);
  coalition::v1::SubmitRequest cancel_req;
  *cancel_req.mutable_envelope() = Attestation(*key, "cloud-a", "cancelled");
  cancel_req.set_wait_for_commit(true);
  grpc::Status cancel_status;
  std::thread canceller([&] {
    coalition::v1::SubmitResponse resp;
    cancel_status = stubs_[0]->Submit(&cancel_ctx, cancel_req, &resp);
  });
  EXPECT_TRUE(WaitFor([&] { return waiting() == 1; }, 5s)) << waiting();
  cancel_ctx.TryCancel();
  canceller.join();
  EXPECT_EQ(cancel_status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] { return waiting() == 0; }, 5s)) << waiting();
  ASSERT_TRUE(tools::DevnetStartNode(dir_, 2, BinDir() + "/coalition-node").ok());
  ASSERT_TRUE(tools::DevnetStartNode(dir_, 3, BinDir() + "/coalition-node").ok());
  coalition::v1::SubmitResponse resp;
  const auto st = Submit(1, envs[7], /*wait=*/true, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(resp.committed());
  ASSERT_TRUE(Converged(kCalls + 1));
}

TEST_F(ClusterTest, PeerWithoutOrWithForeignCertificateIsRefused) {
  StartDevnet();
  const std::string peer_addr = nodes_[0].peer_addr;
  auto try_sync = [&](std::shared_ptr<grpc::ChannelCredentials> creds) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub =
        coalition::v1::PeerService::NewStub(grpc::CreateCustomChannel(peer_addr, creds, args));
    coalition::v1::SyncRequest req;
    coalition::v1::SyncResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 3s);
    return stub->Sync(&ctx, req, &resp);
  };
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  // No certificate at all (plaintext) and TLS without a client certificate.
  EXPECT_EQ(try_sync(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = read(dir_ + "/tls/ca.crt");
  EXPECT_EQ(try_sync(grpc::SslCredentials(no_cert)).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A certificate from a foreign CA.
  const std::string foreign = dir_ + "/foreign";
  std::filesystem::create_directories(foreign);
  ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                         "-nodes -keyout " +
                         foreign + "/k.pem -out " + foreign +
                         "/c.pem -days 1 -subj /CN=node-1 >/dev/null 2>&1")
                            .c_str()),
            0);
  grpc::SslCredentialsOptions foreign_cert;
  foreign_cert.pem_root_certs = read(dir_ + "/tls/ca.crt");
  foreign_cert.pem_private_key = read(foreign + "/k.pem");
  foreign_cert.pem_cert_chain = read(foreign + "/c.pem");
  EXPECT_EQ(try_sync(grpc::SslCredentials(foreign_cert)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The devnet's own certificate works.
  grpc::SslCredentialsOptions own;
  own.pem_root_certs = read(dir_ + "/tls/ca.crt");
  own.pem_private_key = read(dir_ + "/tls/node-1.key");
  own.pem_cert_chain = read(dir_ + "/tls/node-1.crt");
  EXPECT_TRUE(try_sync(grpc::SslCredentials(own)).ok());
}

TEST_F(ClusterTest, BackupOnSigusr1RestoresAndCatchesUp) {
  StartDevnet();
  auto key = MemberKey("cloud-a");
  coalition::v1::SubmitResponse resp;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        Submit(0, Attestation(*key, "cloud-a", "pre-" + std::to_string(i)), true, &resp).ok());
  }
  const uint64_t backed_up = resp.log_index() + 1;
  ASSERT_TRUE(Converged(backed_up));
  const std::string node_dir = dir_ + "/node-1";
  ASSERT_EQ(::kill(nodes_[1].pid, SIGUSR1), 0);
  std::string backup;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& e : std::filesystem::directory_iterator(node_dir)) {
          const std::string name = e.path().filename().string();
          if (name.rfind("data.backup-", 0) == 0 &&
              NodeLog(1).find("backup written to") != std::string::npos) {
            backup = e.path().string();
            return true;
          }
        }
        return false;
      },
      20s))
      << NodeLog(1);
  // More entries after the backup; then node 1 loses its disk and is restored from the backup.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        Submit(0, Attestation(*key, "cloud-a", "post-" + std::to_string(i)), true, &resp).ok());
  }
  const uint64_t size = resp.log_index() + 1;
  ASSERT_TRUE(tools::DevnetKillNode(dir_, 1).ok());
  std::filesystem::remove_all(node_dir + "/data");
  std::filesystem::rename(backup, node_dir + "/data");
  ASSERT_TRUE(tools::DevnetStartNode(dir_, 1, BinDir() + "/coalition-node").ok());
  ASSERT_TRUE(WaitFor([&] { return Status(1).ok(); }, 20s)) << NodeLog(1);
  EXPECT_GE(Status(1)->tree_size(), backed_up);
  ASSERT_TRUE(Converged(size)) << NodeLog(1);
}

}  // namespace
}  // namespace coal::testing
