// What a record handler (rule_sets.h, commitments.h, shipments.h) sees while the executor applies
// one entry that passed the envelope checks: the genesis, the block position and time, the
// entry's digest and header, and the block's state overlay to read and write.
// A handler validates everything before it writes; on error it returns a status from reasons.h
// and the executor drops its writes. Thread safety: one executor thread.
#pragma once

#include <cstdint>
#include <string>

#include "coalition/v1/envelope.pb.h"
#include "coalition/v1/genesis.pb.h"
#include "node/domain/entry_checks.h"
#include "node/domain/state_overlay.h"

namespace coal::domain {

struct HandlerContext {
  const EntryChecker& checker;
  StateOverlay& state;
  uint64_t height = 0;
  uint64_t log_index = 0;
  int64_t block_time_ms = 0;
  const std::string& digest;  // entry digest (crypto::EnvelopeDigest), 32 raw bytes
  const coalition::v1::PayloadHeader& header;
  const coalition::v1::Member& author;

  const coalition::v1::Genesis& genesis() const { return checker.genesis(); }
};

}  // namespace coal::domain
