// The replica: drives the pure consensus core with real I/O. One loop thread owns the core; it
// pops events (peer messages, timer expiry, new mempool entries) from a bounded queue, feeds them
// to the core and carries out the actions in the order safety needs: persist safety state (synced)
// -> persist blocks -> send messages -> apply commits. Committed blocks go to the Ledger; after
// each block that grows the log (or once per checkpoint_interval_ms of block time), the replica
// cosigns a checkpoint and gathers 2f+1 cosignatures into a quorum checkpoint. A node that lags
// fetches committed blocks (with their QCs, verified) from peers.
//
// Thread safety: OnPeerMessage / ForwardEntry / FillStatus / HandleSync may be called from any
// thread; everything else runs on the loop thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/services.pb.h"
#include "consensus/core.h"
#include "crypto/ed25519.h"
#include "node/byzantine.h"
#include "node/checkpointer.h"
#include "node/config.h"
#include "node/ledger.h"
#include "node/payload_digests.h"
#include "node/mempool.h"
#include "node/metrics.h"
#include "node/peer_transport.h"
#include "node/worker_pool.h"
#include "storage/kv_store.h"

namespace coal::node {

struct ReplicaDeps {
  coalition::v1::Genesis genesis;
  std::string chain_id;
  uint32_t self = 0;
  const crypto::Signer* signer = nullptr;  // the validator's consensus key
  storage::KvStore* kv = nullptr;
  Ledger* ledger = nullptr;
  Mempool* mempool = nullptr;
  Metrics* metrics = nullptr;
  Limits limits;
  std::shared_ptr<grpc::ChannelCredentials> peer_creds;
  // Admission check used for entries forwarded by peers (same as client admission).
  std::function<absl::Status(const coalition::v1::Envelope&)> admit;
  // Checks an entry's signature through the node's signature cache (the outcome is ignored:
  // execution decides); run in parallel over the entries of blocks fetched during catch-up so
  // that applying them finds every signature already checked. May be empty.
  std::function<void(const coalition::v1::Envelope&)> warm_signature;
  // Byzantine hook (issue 8): devnet tests only; node.cc refuses it on other chains.
  std::optional<ByzantineMode> byzantine_mode;
  // Validator id -> address to dial instead of the genesis peer_addr (config [peer_dial]).
  std::map<std::string, std::string> peer_dial;
  // OK while the data disk has room for consensus writes (DiskGuard::CheckStorage); may be empty.
  std::function<absl::Status()> storage_writable;
};

class Replica {
 public:
  explicit Replica(ReplicaDeps deps);
  ~Replica();

  absl::Status Start();
  void Stop();

  // From the peer service (gRPC threads).
  void OnPeerMessage(const coalition::v1::PeerEnvelope& msg);
  grpc::Status HandleSync(const coalition::v1::SyncRequest& req, coalition::v1::SyncResponse* resp);
  // From the client service: an admitted entry to forward to the other validators.
  void ForwardEntry(const coalition::v1::Envelope& env);
  void FillStatus(coalition::v1::StatusResponse* resp) const;

 private:
  struct Event {
    enum Kind { kPeer, kWake } kind = kWake;
    uint32_t from = 0;
    coalition::v1::ConsensusMessage msg;
  };

  void Loop();
  void Handle(consensus::Actions actions);
  void MaybeAnswerPayload(int64_t now_ms);
  void ApplyCommitted(const coalition::v1::CommittedBlock& block);
  void CosignCurrent();
  // A PeerEnvelope carrying this node's cosignature of the log at (size, root).
  coalition::v1::PeerEnvelope CosignatureEnvelope(const coalition::v1::Cosignature& cosignature,
                                                  uint64_t size, const std::string& root) const;
  void OnCosignature(const coalition::v1::PeerEnvelope& msg);
  // Fetches one batch of committed blocks by height from the first peer that answers and applies
  // what verifies. True when the ledger moved.
  bool CatchUp();
  void FlushForwards();
  void AdmitForwarded(uint32_t from, const google::protobuf::RepeatedPtrField<
                                         coalition::v1::Envelope>& entries);
  // Checks, on the verify pool, the signatures of the entries of resp.blocks(0 .. blocks-1) (at
  // most kWarmEntriesMax, fewer than the node's signature cache holds).
  void WarmSignatures(const coalition::v1::SyncResponse& resp, int blocks);
  void Push(Event ev);
  absl::Status PersistConsensus(const coalition::v1::SafetyState* safety,
                                const std::vector<coalition::v1::Block>& blocks);
  absl::Status LoadRecovery(consensus::Recovery* recovery);
  void SendTo(uint32_t peer, const coalition::v1::ConsensusMessage& msg);
  void Broadcast(const coalition::v1::ConsensusMessage& msg);
  absl::Status ValidatePayload(const std::string& payload);
  // Ends the mempool leases of the entries of a block that left the chain uncommitted.
  void ReleaseAbandoned(const std::string& payload);

  static constexpr size_t kEventQueueMax = 65536;
  static constexpr size_t kForwardBatchMax = 512;
  static constexpr int64_t kIdleBlockMs = 150;  // propose an empty block at most this often
  static constexpr size_t kPendingCosignSizesMax = 64;
  static constexpr uint32_t kSyncBlocksMax = 256;
  // A Sync answer stops adding blocks past this size (the peer channel takes 64 MiB messages; a
  // single block is at most the genesis's max_block_bytes, itself at most kBlockBytesMax).
  static constexpr size_t kSyncResponseBytesMax = 32 << 20;

  ReplicaDeps deps_;
  std::vector<std::unique_ptr<PeerSender>> peers_;  // index = validator index; null for self
  std::unique_ptr<consensus::Core> core_;
  std::unique_ptr<Checkpointer> checkpointer_;
  // Byzantine hook (issue 8): counts and logs-once what peers send that is refused; thread-safe.
  std::unique_ptr<PeerRejections> rejections_;
  // Byzantine hook (issue 8): null unless deps_.byzantine_mode; loop thread only.
  std::unique_ptr<ByzantineSender> byzantine_;
  // Set while storage writes are paused (disk nearly full); loop thread only. Logs transitions.
  bool storage_paused_ = false;
  absl::Status StorageWritable();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;                       // guarded by mu_
  std::vector<coalition::v1::Envelope> forwards_;  // guarded by mu_
  bool stop_ = false;                              // guarded by mu_
  std::thread thread_;

  // Loop-thread state.
  std::optional<uint64_t> payload_round_;
  // payload_round_ is set: entries forwarded by peers must wake the loop. Set before the loop
  // looks at the mempool, read after an entry is added to it, so one of the two sees the other.
  std::atomic<bool> awaiting_payload_{false};
  int64_t payload_requested_ms_ = 0;
  int64_t timer_deadline_ms_ = 0;
  int64_t last_catchup_ms_ = 0;
  int64_t last_catchup_log_ms_ = 0;
  uint64_t pruned_below_height_ = 0;  // consensus blocks below this height are deleted
  int64_t last_applied_time_ms_ = 0;  // block time of the last applied block (cosign schedule)
  uint64_t durable_size_ = 0;         // log size known synced to disk (cosigning waits for it)
  // Entry digests of the payloads validated, proposed or abandoned lately (hashed once each).
  // Room for the uncommitted blocks of a few rounds; at most 64 MiB of payloads.
  PayloadDigests payload_digests_{32, 64 << 20};

  std::atomic<uint64_t> round_{0};
  std::atomic<uint64_t> committed_height_{0};

  // limits.verify_threads workers: check the signatures of blocks fetched during catch-up in
  // parallel. Declared last: destroyed (threads joined) before anything its tasks use.
  static constexpr size_t kVerifyQueueMax = 1024;
  static constexpr uint64_t kVerifyThreadsMax = 64;
  static constexpr size_t kWarmEntriesMax = 1 << 16;
  std::unique_ptr<WorkerPool> verify_pool_;
};

}  // namespace coal::node
