// QueryCommitments (queries.h).
#include <algorithm>
#include <map>

#include "crypto/status_macros.h"
#include "node/domain/commitments.h"
#include "node/domain/queries.h"

namespace coal::domain {
namespace {

using coalition::v1::CommitmentQuery;
using coalition::v1::CommitmentStatus;
using storage::Column;

bool Matches(const CommitmentStatus& s, const CommitmentQuery& q) {
  const auto& c = s.commitment();
  if (!q.member().empty() && c.buyer() != q.member()) return false;
  if (!q.vendor().empty() &&
      std::find(c.vendors().begin(), c.vendors().end(), q.vendor()) == c.vendors().end()) {
    return false;
  }
  if (!q.status().empty() && s.status() != q.status()) return false;
  if (q.period_from_ms() != 0 && c.period_end_ms() < q.period_from_ms()) return false;
  if (q.period_to_ms() != 0 && c.period_start_ms() > q.period_to_ms()) return false;
  return true;
}

absl::StatusOr<std::optional<CommitmentStatus>> Load(const StateOverlay& view,
                                                     std::string_view id) {
  ASSIGN_OR_RETURN(auto bytes, view.Get(Column::kState, CommitmentKey(id)));
  if (!bytes.has_value()) return std::optional<CommitmentStatus>();
  CommitmentStatus s;
  if (!s.ParseFromString(*bytes)) return absl::DataLossError("commitment record does not decode");
  return std::optional<CommitmentStatus>(std::move(s));
}

struct Totals {
  int64_t committed = 0;
  int64_t delivered = 0;
};

void AddAggregate(std::map<std::pair<std::string, std::string>, Totals>* m, const std::string& key,
                  const CommitmentStatus& s) {
  Totals& t = (*m)[{key, s.commitment().amount().currency()}];
  t.committed += s.commitment().amount().units();
  t.delivered += s.delivered().units();
}

void EmitAggregates(const std::map<std::pair<std::string, std::string>, Totals>& m,
                    google::protobuf::RepeatedPtrField<coalition::v1::Aggregate>* out) {
  for (const auto& [key, t] : m) {
    auto* a = out->Add();
    a->set_key(key.first);
    a->set_currency(key.second);
    a->set_committed(t.committed);
    a->set_delivered(t.delivered);
    a->set_remaining(t.committed - t.delivered);
  }
}

}  // namespace

absl::StatusOr<coalition::v1::CommitmentResponse> QueryCommitments(const storage::KvStore& kv,
                                                                   const CommitmentQuery& q) {
  StateOverlay view(&kv);
  coalition::v1::CommitmentResponse out;
  if (!q.commitment_id().empty()) {
    ASSIGN_OR_RETURN(auto s, Load(view, q.commitment_id()));
    if (!s.has_value()) {
      return absl::NotFoundError("commitment_id: '" + q.commitment_id() + "' is not a commitment");
    }
    std::map<std::pair<std::string, std::string>, Totals> by_member, by_vendor;
    AddAggregate(&by_member, s->commitment().buyer(), *s);
    *out.add_commitments() = *s;
    EmitAggregates(by_member, out.mutable_by_member());
    return out;
  }
  std::string prefix = IndexPrefix(kCommitmentAllIndex, "");
  if (!q.member().empty()) {
    prefix = IndexPrefix(kCommitmentMemberIndex, q.member());
  } else if (!q.vendor().empty()) {
    prefix = IndexPrefix(kCommitmentVendorIndex, q.vendor());
  }
  uint64_t after = 0;
  int64_t unused_time = 0;
  const bool has_token = !q.page_token().empty();
  if (has_token) RETURN_IF_ERROR(DecodePageToken(q.page_token(), &after, &unused_time));
  const uint32_t page = PageSize(q.page_size());

  // One pass over the index: the page (after the token) and the aggregates (all matches).
  std::map<std::pair<std::string, std::string>, Totals> by_member, by_vendor;
  absl::Status load = absl::OkStatus();
  size_t examined_after = 0;
  uint64_t last_examined = after;
  bool more = false;
  RETURN_IF_ERROR(kv.Scan(
      Column::kIndex, prefix, storage::PrefixEnd(prefix),
      [&](std::string_view key, std::string_view id) {
        const uint64_t li = IndexKeyLogIndex(key);
        auto s = Load(view, id);
        if (!s.ok() || !s->has_value()) {
          load = s.ok() ? absl::DataLossError("index names a missing commitment") : s.status();
          return false;
        }
        const CommitmentStatus& c = **s;
        if (!Matches(c, q)) return true;
        AddAggregate(&by_member, c.commitment().buyer(), c);
        std::vector<std::string> vendors(c.commitment().vendors().begin(),
                                         c.commitment().vendors().end());
        std::sort(vendors.begin(), vendors.end());
        std::string pool;
        for (const auto& v : vendors) pool += (pool.empty() ? "" : "+") + v;
        AddAggregate(&by_vendor, pool, c);
        if (has_token && li <= after) return true;
        if (static_cast<uint32_t>(out.commitments_size()) < page &&
            examined_after < kScanRowsPerPageMax) {
          *out.add_commitments() = c;
          last_examined = li;
        } else {
          more = true;
        }
        ++examined_after;
        return true;
      },
      kAggregateRowsMax));
  RETURN_IF_ERROR(load);
  if (more) out.set_next_page_token(EncodePageToken(last_examined, 0));
  EmitAggregates(by_member, out.mutable_by_member());
  EmitAggregates(by_vendor, out.mutable_by_vendor());
  return out;
}

}  // namespace coal::domain
