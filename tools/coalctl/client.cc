#include "tools/coalctl/client.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <sodium.h>

#include <chrono>

#include "coalition/v1/domain.pb.h"
#include "crypto/dsse.h"
#include "crypto/status_macros.h"

namespace coal::tools {

std::shared_ptr<grpc::Channel> Connect(const std::string& addr, grpc::ChannelArguments args) {
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

void FillHeaderDefaults(coalition::v1::PayloadHeader* h, const std::string& author,
                        const std::string& chain_id) {
  if (h->author().empty()) h->set_author(author);
  if (h->created_at_ms() == 0) {
    h->set_created_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
  }
  if (h->nonce().empty()) {
    std::string nonce(16, '\0');
    randombytes_buf(nonce.data(), nonce.size());
    h->set_nonce(nonce);
  }
  if (h->chain_id().empty()) h->set_chain_id(chain_id);
}

absl::StatusOr<coalition::v1::Envelope> EnvelopeFromJson(const std::string& payload_type,
                                                         const std::string& json,
                                                         const std::string& author,
                                                         const std::string& chain_id,
                                                         const crypto::Signer& signer) {
  const std::string full =
      payload_type.find('.') == std::string::npos ? "coalition.v1." + payload_type : payload_type;
  const auto* desc =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full);
  if (desc == nullptr) return absl::InvalidArgumentError("unknown payload type " + full);
  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(desc);
  if (prototype == nullptr) return absl::InvalidArgumentError("no message class for " + full);
  std::unique_ptr<google::protobuf::Message> msg(prototype->New());
  auto st = google::protobuf::util::JsonStringToMessage(json, msg.get());
  if (!st.ok()) {
    return absl::InvalidArgumentError("payload JSON for " + full + ": " +
                                      std::string(st.message()));
  }
  const auto* header_field = desc->FindFieldByName("header");
  if (header_field == nullptr ||
      header_field->message_type() != coalition::v1::PayloadHeader::descriptor()) {
    return absl::InvalidArgumentError(full + " is not a ledger payload (no header field)");
  }
  auto* header = msg->GetReflection()->MutableMessage(msg.get(), header_field);
  coalition::v1::PayloadHeader h;
  h.CopyFrom(*header);
  FillHeaderDefaults(&h, author, chain_id);
  header->CopyFrom(h);
  std::string payload;
  msg->SerializeToString(&payload);
  return crypto::MakeEnvelope(signer, full, std::move(payload));
}

absl::StatusOr<coalition::v1::StatusResponse> FetchStatus(coalition::v1::LedgerService::Stub& stub,
                                                          int deadline_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  coalition::v1::StatusResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub.Status(&ctx, {}, &resp)));
  return resp;
}

}  // namespace coal::tools
