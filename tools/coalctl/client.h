// gRPC client helpers for coalctl and coalition-bench: channels, envelope building from JSON,
// status-to-message conversion. Thread-safe where gRPC stubs are.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "coalition/v1/services.grpc.pb.h"
#include "crypto/ed25519.h"

namespace coal::tools {

// A plain channel to a node's client API (64 MiB answers). `args` may carry more channel
// arguments (a test's reconnect backoff, say); the receive limit is set on top of them.
std::shared_ptr<grpc::Channel> Connect(const std::string& addr,
                                       grpc::ChannelArguments args = grpc::ChannelArguments());
absl::Status FromGrpc(const grpc::Status& s);

// Fills what a payload header leaves empty: author, created_at_ms (now), a random 16-byte nonce
// and the chain id.
void FillHeaderDefaults(coalition::v1::PayloadHeader* h, const std::string& author,
                        const std::string& chain_id);

// Builds a payload of `payload_type` (e.g. "coalition.v1.FlaggedShipment" or "FlaggedShipment")
// from JSON (proto3 JSON mapping), fills its header (author, time, random nonce, chain id) and
// signs the envelope.
absl::StatusOr<coalition::v1::Envelope> EnvelopeFromJson(const std::string& payload_type,
                                                         const std::string& json,
                                                         const std::string& author,
                                                         const std::string& chain_id,
                                                         const crypto::Signer& signer);

// Fetches the node's status (chain id etc.).
absl::StatusOr<coalition::v1::StatusResponse> FetchStatus(coalition::v1::LedgerService::Stub& stub,
                                                          int deadline_ms = 5000);

}  // namespace coal::tools
