#include "node/domain/reasons.h"

#include "absl/types/optional.h"

namespace coal::domain {
namespace {

constexpr char kReasonTypeUrl[] = "type.coalition.dev/coalition.v1.RejectionReason";

}  // namespace

absl::Status Reject(absl::StatusCode code, std::string_view reason, std::string detail) {
  absl::Status status(code, detail);
  status.SetPayload(kReasonTypeUrl, absl::Cord(absl::string_view(reason.data(), reason.size())));
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kReasonTypeUrl);
  if (payload.has_value()) return std::string(*payload);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return reason::kInvalidField;
    case absl::StatusCode::kUnauthenticated:
      return reason::kBadSignature;
    case absl::StatusCode::kPermissionDenied:
      return reason::kRoleNotAllowed;
    default:
      return "internal";
  }
}

coalition::v1::Outcome Accepted() {
  coalition::v1::Outcome o;
  o.set_accepted(true);
  return o;
}

coalition::v1::Outcome Rejected(const absl::Status& status) {
  coalition::v1::Outcome o;
  o.set_accepted(false);
  o.set_reason(ReasonOf(status));
  o.set_detail(std::string(status.message()));
  return o;
}

}  // namespace coal::domain
