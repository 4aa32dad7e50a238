// Hostile clients against a real 4-node devnet: every role against every write and the shipment
// read, replays, an envelope relabelled as another payload type, clocks far off, malformed bytes,
// and a flood of follow streams. Each gets its specific gRPC status and leaves the log unchanged.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "coalition/v1/domain.pb.h"
#include "crypto/sha256.h"
#include "tests/integration/devnet_fixture.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class HostileClientTest : public DevnetTest {
 protected:
  void SetUp() override {
    StartDevnet();
    compliance_ = coalition::v1::ComplianceService::NewStub(tools::Connect(nodes_[0].client_addr));
  }

  coalition::v1::PayloadHeader Header(const std::string& member, int64_t created_at_ms = 0) {
    coalition::v1::PayloadHeader h;
    h.set_author(member);
    h.set_created_at_ms(created_at_ms ? created_at_ms : NowMs());
    h.set_nonce("hostile-nonce-" + std::to_string(nonce_++));
    h.set_chain_id(chain_id_);
    return h;
  }

  // Every payload message carries its PayloadHeader as field 1: a payload with only the header.
  coalition::v1::Envelope HeaderOnly(const std::string& member, const std::string& type) {
    coalition::v1::Attestation carrier;  // field 1 is the header here too
    *carrier.mutable_header() = Header(member);
    return crypto::MakeEnvelope(*MemberKey(member), type, carrier.SerializeAsString());
  }

  grpc::Status Send(const coalition::v1::Envelope& env,
                    coalition::v1::SubmitResponse* resp = nullptr, bool wait = false) {
    coalition::v1::SubmitResponse ignored;
    return Submit(0, env, wait, resp ? resp : &ignored);
  }

  // Commits one good entry and returns its log index: every earlier hostile call must have left
  // the log as it was, so this lands at exactly the size seen before them.
  uint64_t CommitMarker() {
    coalition::v1::SubmitResponse resp;
    auto st = Submit(1, Attestation(*MemberKey("observer-a"), "observer-a", "marker"), true, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.log_index();
  }

  std::unique_ptr<coalition::v1::ComplianceService::Stub> compliance_;
};

TEST_F(HostileClientTest, EveryRoleAgainstEveryWriteAndTheShipmentRead) {
  const uint64_t before = Status(0)->tree_size();
  const std::map<std::string, std::set<std::string>> may_write = {
      {"us-bis",
       {"ThresholdProposal", "ThresholdApproval", "ProcurementCommitment", "DeliveryReport",
        "CommitmentAmendment", "CommitmentClose"}},
      {"cloud-a",
       {"ProcurementCommitment", "DeliveryReport", "CommitmentAmendment", "CommitmentClose"}},
      {"enforce-a", {"FlaggedShipment", "ShipmentEvent"}},
      {"observer-a", {}},
  };
  const std::vector<std::string> types = {
      "ThresholdProposal",   "ThresholdApproval", "ProcurementCommitment", "DeliveryReport",
      "CommitmentAmendment", "CommitmentClose",   "FlaggedShipment",       "ShipmentEvent"};
  for (const auto& [member, allowed] : may_write) {
    for (const auto& type : types) {
      auto st = Send(HeaderOnly(member, "coalition.v1." + type));
      if (allowed.count(type)) {
        // Past the role check, the empty payload fails its schema: never written.
        EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << member << " " << type << ": " << st.error_message();
      } else {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << member << " " << type << ": " << st.error_message();
        EXPECT_NE(st.error_message().find("has no role that may write"), std::string::npos)
            << st.error_message();
      }
    }
  }
  const std::map<std::string, grpc::StatusCode> may_read = {
      {"us-bis", grpc::StatusCode::OK},
      {"enforce-a", grpc::StatusCode::OK},
      {"cloud-a", grpc::StatusCode::PERMISSION_DENIED},
      {"observer-a", grpc::StatusCode::PERMISSION_DENIED},
  };
  for (const auto& [member, code] : may_read) {
    coalition::v1::ShipmentQuery q;
    q.set_country("MY");
    const auto digest = coal::Sha256(q.SerializeAsString());
    coalition::v1::ReadAuth ra;
    *ra.mutable_header() = Header(member);
    ra.set_method("/coalition.v1.ComplianceService/Shipments");
    ra.set_request_digest(std::string(digest.begin(), digest.end()));
    *q.mutable_auth() =
        crypto::MakeEnvelope(*MemberKey(member), "coalition.v1.ReadAuth", ra.SerializeAsString());
    coalition::v1::ShipmentResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    EXPECT_EQ(compliance_->Shipments(&ctx, q, &resp).error_code(), code) << member;
  }
  EXPECT_EQ(CommitMarker(), before);
}

TEST_F(HostileClientTest, ReplaysRelabelsClocksAndMalformedBytes) {
  auto key = MemberKey("cloud-a");
  coalition::v1::SubmitResponse first;
  const auto good = Attestation(*key, "cloud-a", "original");
  ASSERT_TRUE(Send(good, &first, true).ok());
  const uint64_t size = first.log_index() + 1;

  // Replaying a committed envelope is idempotent: same place, nothing new.
  coalition::v1::SubmitResponse again;
  ASSERT_TRUE(Send(good, &again, true).ok());
  EXPECT_TRUE(again.committed());
  EXPECT_EQ(again.log_index(), first.log_index());

  // The same signed bytes relabelled as another payload type: the signature covers the type.
  auto relabelled = good;
  relabelled.set_payload_type("coalition.v1.FlaggedShipment");
  EXPECT_EQ(Send(relabelled).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Clocks far off.
  for (int64_t created : {NowMs() + 3600LL * 1000, NowMs() - 2LL * 86400 * 1000}) {
    coalition::v1::Attestation att;
    *att.mutable_header() = Header("cloud-a", created);
    att.set_subject("clock");
    auto st = Send(crypto::MakeEnvelope(*key, "coalition.v1.Attestation", att.SerializeAsString()));
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("header.created_at_ms"), std::string::npos)
        << st.error_message();
  }

  // Bytes that are not a protobuf of the type, an unknown type, another chain, no signature.
  auto st = Send(crypto::MakeEnvelope(*key, "coalition.v1.Attestation", "\xff\xff\xff\xff"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("payload"), std::string::npos) << st.error_message();
  st = Send(crypto::MakeEnvelope(*key, "coalition.v1.Nonsense", good.payload()));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("payload_type"), std::string::npos) << st.error_message();
  coalition::v1::Attestation foreign;
  *foreign.mutable_header() = Header("cloud-a");
  foreign.mutable_header()->set_chain_id("another-chain");
  st = Send(crypto::MakeEnvelope(*key, "coalition.v1.Attestation", foreign.SerializeAsString()));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("header.chain_id"), std::string::npos) << st.error_message();
  auto unsigned_env = Attestation(*key, "cloud-a", "unsigned");
  unsigned_env.clear_signatures();
  EXPECT_EQ(Send(unsigned_env).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_EQ(CommitMarker(), size);
}

TEST_F(HostileClientTest, FollowStreamFloodIsBoundedAndTheNodeStaysUp) {
  coalition::v1::SubmitResponse resp;
  ASSERT_TRUE(Send(Attestation(*MemberKey("cloud-a"), "cloud-a", "seed"), &resp, true).ok());
  constexpr int kStreamsMax = 64;  // the devnet's limits.follow_streams_max (the default)
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReader<coalition::v1::EntryRecord>>> streams;
  coalition::v1::FollowRequest req;
  for (int i = 0; i < kStreamsMax; ++i) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    ctxs.back()->set_deadline(std::chrono::system_clock::now() + 60s);
    streams.push_back(stubs_[0]->Follow(ctxs.back().get(), req));
    coalition::v1::EntryRecord rec;
    ASSERT_TRUE(streams.back()->Read(&rec)) << "stream " << i;  // open and serving
  }
  grpc::ClientContext over;
  over.set_deadline(std::chrono::system_clock::now() + 10s);
  auto extra = stubs_[0]->Follow(&over, req);
  coalition::v1::EntryRecord rec;
  EXPECT_FALSE(extra->Read(&rec));
  EXPECT_EQ(extra->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  for (auto& c : ctxs) c->TryCancel();
  for (auto& s : streams) (void)s->Finish();
  // The node still serves and commits, and the slots come back.
  ASSERT_TRUE(Send(Attestation(*MemberKey("cloud-a"), "cloud-a", "after"), &resp, true).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext c;
        c.set_deadline(std::chrono::system_clock::now() + 5s);
        auto s = stubs_[0]->Follow(&c, req);
        coalition::v1::EntryRecord r;
        const bool ok = s->Read(&r);
        c.TryCancel();
        (void)s->Finish();
        return ok;
      },
      20s));
}

}  // namespace
}  // namespace coal::testing
