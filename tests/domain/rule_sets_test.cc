// Threshold rule sets through the executor: proposal, approvals, quorum, notice, emergency, and
// the as-of views (in force, pending, history, proposed); the loader of data/rules.json.
#include "node/domain/rule_sets.h"

#include <cstdio>
#include <fstream>

#include "node/domain/embedded_data.h"
#include "node/domain/queries.h"
#include "node/domain/rule_loader.h"
#include "tests/domain/domain_fixture.h"

namespace coal::domain::testing {
namespace {

using coalition::v1::ThresholdApproval;
using coalition::v1::ThresholdProposal;

class RuleSetTest : public DomainTest {
 protected:
  // A new version of the 2023 rule with a lower a.1 threshold.
  ThresholdProposal Proposal(uint32_t version, int64_t effective_at_ms, bool emergency = false) {
    auto loaded = LoadEmbeddedRuleSets();
    ThresholdProposal p;
    *p.mutable_rule_set() = loaded->rule_sets[1];
    p.mutable_rule_set()->set_version(version);
    p.mutable_rule_set()->set_effective_at_ms(effective_at_ms);
    p.mutable_rule_set()
        ->mutable_entries(0)
        ->mutable_condition()
        ->mutable_any()
        ->mutable_items(0)
        ->mutable_leaf()
        ->set_number(4000);
    p.set_emergency(emergency);
    p.set_rationale("tighten a.1");
    return p;
  }
  ThresholdApproval Approval(const std::string& digest) {
    ThresholdApproval a;
    a.set_proposal_digest(digest);
    return a;
  }
  coalition::v1::RuleSetResponse View(int64_t as_of) {
    coalition::v1::RuleSetRequest req;
    req.set_rule_set_id("US-BIS-2023-10-ACS");
    req.set_as_of_ms(as_of);
    auto r = QueryRuleSets(kv_, req, 0);
    EXPECT_TRUE(r.ok());
    return *r;
  }
  const int64_t effective_ = kGenesisTimeMs + 60 * kDayMs;
};

TEST_F(RuleSetTest, AdoptedAtQuorumThenInForceFromEffectiveDate) {
  EXPECT_ACCEPTED(Apply(Sign("us-bis", Proposal(2, effective_))));
  const std::string digest = LastDigest();
  const int64_t proposed_at = now_ms_;
  auto view = View(now_ms_);
  ASSERT_EQ(view.proposed_size(), 1);  // one signature of two
  EXPECT_EQ(view.in_force(0).rule_set().version(), 1u);
  now_ms_ += kDayMs;
  EXPECT_ACCEPTED(Apply(Sign("eu-dgtrade", Approval(digest))));
  view = View(now_ms_);
  EXPECT_EQ(view.proposed_size(), 0);
  ASSERT_EQ(view.pending_size(), 1);
  EXPECT_EQ(view.pending(0).rule_set().version(), 2u);
  EXPECT_EQ(view.pending(0).adopted_at_ms(), now_ms_);
  EXPECT_EQ(view.pending(0).proposed_at_ms(), proposed_at);
  EXPECT_EQ(view.pending(0).approvers_size(), 2);
  ASSERT_EQ(view.in_force_size(), 1);
  EXPECT_EQ(view.in_force(0).rule_set().version(), 1u);
  view = View(effective_);
  ASSERT_EQ(view.in_force_size(), 1);
  EXPECT_EQ(view.in_force(0).rule_set().version(), 2u);
  EXPECT_EQ(view.history_size(), 2);
  EXPECT_EQ(view.pending_size(), 0);
  // Before the adoption the new version is only a proposal.
  EXPECT_EQ(View(proposed_at).proposed_size(), 1);
  // Evaluation follows: A100 4992 >= 4000 either way; a 4500-TPP part flips with the version.
  coalition::v1::EvaluateRequest req;
  req.mutable_chip()->set_tpp(4500);
  req.mutable_chip()->set_datacenter(true);
  req.mutable_chip()->set_performance_density(1.0);
  req.set_rule_set_id("US-BIS-2023-10-ACS");
  req.set_as_of_ms(effective_ - 1);
  EXPECT_EQ(QueryEvaluate(kv_, req, 0)->evaluations(0).classification(), "none");
  req.set_as_of_ms(effective_);
  auto after = QueryEvaluate(kv_, req, 0);
  EXPECT_EQ(after->evaluations(0).classification(), "3A090.a");
  EXPECT_EQ(after->evaluations(0).version(), 2u);
}

TEST_F(RuleSetTest, RejectsApprovalsThatCannotCount) {
  EXPECT_ACCEPTED(Apply(Sign("us-bis", Proposal(2, effective_))));
  const std::string digest = LastDigest();
  EXPECT_REJECTED(Apply(Sign("us-bis", Approval(digest))), "duplicate_approval");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Approval(digest))), "role_not_allowed");
  EXPECT_REJECTED(Apply(Sign("eu-dgtrade", Approval(std::string(32, 'x')))), "unknown_proposal");
  EXPECT_ACCEPTED(Apply(Sign("eu-dgtrade", Approval(digest))));
  EXPECT_REJECTED(Apply(Sign("jp-meti", Approval(digest))), "already_adopted");
}

TEST_F(RuleSetTest, RejectsShortNoticeAtProposalAndAtAdoption) {
  const int64_t tight = now_ms_ + 30 * kDayMs;  // exactly min notice: allowed now
  auto o = Apply(Sign("us-bis", Proposal(2, tight - 1)));
  EXPECT_REJECTED(o, "notice_too_short");
  EXPECT_EQ(o.detail().substr(0, 26), "rule_set.effective_at_ms: ");
  EXPECT_ACCEPTED(Apply(Sign("us-bis", Proposal(3, tight))));
  const std::string digest = LastDigest();
  now_ms_ += 1;  // the approval arrives when the notice no longer holds
  EXPECT_REJECTED(Apply(Sign("eu-dgtrade", Approval(digest))), "notice_too_short");
}

TEST_F(RuleSetTest, EmergencyNeedsTheLargerQuorumAndShorterNotice) {
  const int64_t soon = now_ms_ + 2 * kDayMs;  // > emergency notice (1 day), < min notice
  EXPECT_REJECTED(Apply(Sign("us-bis", Proposal(2, soon))), "notice_too_short");
  EXPECT_ACCEPTED(Apply(Sign("us-bis", Proposal(3, soon, /*emergency=*/true))));
  const std::string digest = LastDigest();
  EXPECT_ACCEPTED(Apply(Sign("eu-dgtrade", Approval(digest))));
  EXPECT_EQ(View(now_ms_).pending_size(), 0);  // 2 of 3: not yet
  EXPECT_ACCEPTED(Apply(Sign("jp-meti", Approval(digest))));
  auto view = View(now_ms_);
  ASSERT_EQ(view.pending_size(), 1);
  EXPECT_TRUE(view.pending(0).emergency());
}

TEST_F(RuleSetTest, RejectsStaleAndDuplicateVersionsAndBadConditions) {
  EXPECT_REJECTED(Apply(Sign("us-bis", Proposal(1, effective_))), "duplicate_rule_set_version");
  EXPECT_ACCEPTED(Apply(Sign("us-bis", Proposal(3, effective_))));
  EXPECT_ACCEPTED(Apply(Sign("eu-dgtrade", Approval(LastDigest()))));
  EXPECT_REJECTED(Apply(Sign("us-bis", Proposal(2, effective_))), "stale_version");

  ThresholdProposal bad = Proposal(4, effective_);
  bad.mutable_rule_set()
      ->mutable_entries(0)
      ->mutable_condition()
      ->mutable_any()
      ->mutable_items(0)
      ->mutable_leaf()
      ->set_param("teraflops");
  auto o = Apply(Sign("us-bis", bad));
  EXPECT_REJECTED(o, "invalid_condition");
  EXPECT_EQ(o.detail(),
            "rule_set.entries[0].condition.any[0].param: unknown parameter 'teraflops'");
  ThresholdProposal forward = Proposal(4, effective_);
  forward.mutable_rule_set()->mutable_entries(0)->mutable_condition()->set_ref("4A090.a/.b");
  o = Apply(Sign("us-bis", forward));
  EXPECT_REJECTED(o, "invalid_condition");
  EXPECT_EQ(o.detail(),
            "rule_set.entries[0].condition.ref: '4A090.a/.b' is not an earlier entry "
            "of this rule set");
  ThresholdProposal flag_op = Proposal(4, effective_);
  auto* leaf = flag_op.mutable_rule_set()
                   ->mutable_exclusions(0)
                   ->mutable_condition()
                   ->mutable_all()
                   ->mutable_items(0)
                   ->mutable_leaf();
  leaf->set_op(">=");
  EXPECT_REJECTED(Apply(Sign("us-bis", flag_op)), "invalid_condition");
  ThresholdProposal supersedes = Proposal(4, effective_);
  supersedes.mutable_rule_set()->add_supersedes("US-NOPE@1");
  o = Apply(Sign("us-bis", supersedes));
  EXPECT_REJECTED(o, "invalid_field");
  EXPECT_EQ(o.detail(), "rule_set.supersedes[1]: 'US-NOPE@1' is not a known rule set");
  ThresholdProposal no_version = Proposal(0, effective_);
  o = Apply(Sign("us-bis", no_version));
  EXPECT_REJECTED(o, "invalid_field");
  EXPECT_EQ(o.detail(), "rule_set.version: must be >= 1");
}

TEST_F(RuleSetTest, OnlyAuthoritiesPropose) {
  EXPECT_REJECTED(Apply(Sign("cloud-a", Proposal(2, effective_))), "role_not_allowed");
  EXPECT_REJECTED(Apply(Sign("us-hsi", Proposal(2, effective_))), "role_not_allowed");
}

TEST_F(RuleSetTest, RealRuleSetsAsOfTheirRealDates) {
  coalition::v1::RuleSetRequest req;
  auto at = [&](int64_t t) {
    req.set_as_of_ms(t);
    return *QueryRuleSets(kv_, req, 0);
  };
  auto v = at(1669852800000);  // 2022-12-01: only the October 2022 rule
  ASSERT_EQ(v.in_force_size(), 1);
  EXPECT_EQ(v.in_force(0).rule_set().id(), "US-BIS-2022-10-ACSME");
  v = at(1698796800000);  // 2023-11-01: the 2023 rule is announced, effective 17 Nov
  ASSERT_EQ(v.in_force_size(), 1);
  EXPECT_EQ(v.in_force(0).rule_set().id(), "US-BIS-2022-10-ACSME");
  ASSERT_EQ(v.pending_size(), 1);
  EXPECT_EQ(v.pending(0).rule_set().id(), "US-BIS-2023-10-ACS");
  v = at(1700179200000);  // 2023-11-17: the 2023 rule supersedes the 2022 one
  ASSERT_EQ(v.in_force_size(), 1);
  EXPECT_EQ(v.in_force(0).rule_set().id(), "US-BIS-2023-10-ACS");
  EXPECT_EQ(v.history_size(), 2);
  v = at(kGenesisTimeMs);
  ASSERT_EQ(v.in_force_size(), 2);
  EXPECT_EQ(v.in_force(1).rule_set().id(), "US-BIS-2024-12-FDPR-HBM");
  EXPECT_EQ(at(1600000000000).history_size(), 0);  // 2020
}

TEST(RuleLoader, ConvertsTheRealRuleSets) {
  auto loaded = LoadEmbeddedRuleSets();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->rule_sets.size(), 3u);
  EXPECT_EQ(loaded->skipped.size(), 6u);
  const auto& r22 = loaded->rule_sets[0];
  EXPECT_EQ(r22.effective_at_ms(), 1665100800000);  // 2022-10-07
  EXPECT_EQ(r22.entries_size(), 2);
  EXPECT_EQ(r22.destinations().license_required_to(0), "CN");
  EXPECT_EQ(r22.destinations().additions(0).effective_at_ms(), 1674000000000);  // 2023-01-18
  EXPECT_EQ(r22.destinations().additions(0).countries(0), "MO");
  EXPECT_EQ(r22.effective_dates_size(), 3);
  const auto& r23 = loaded->rule_sets[1];
  EXPECT_EQ(r23.effective_at_ms(), 1700179200000);  // 2023-11-17
  EXPECT_EQ(r23.announced_at_ms(), 1697500800000);  // released 2023-10-17
  EXPECT_EQ(r23.exclusions(0).id(), "Note2-3A090");
  EXPECT_EQ(r23.entries(0).condition().any().items(1).id(), "a.2");
  EXPECT_EQ(r23.supersedes(0), "US-BIS-2022-10-ACSME@1");
  EXPECT_EQ(r23.license_exceptions(0).id(), "NAC");
  EXPECT_FALSE(r23.destinations().exhaustive());
  EXPECT_EQ(r23.effective_dates(0).kind(), "acceleration");
  EXPECT_EQ(loaded->rule_sets[2].effective_at_ms(), 1733097600000);  // 2024-12-02
  // source_json is the object's bytes exactly as in the file.
  for (const auto& rs : loaded->rule_sets) {
    EXPECT_NE(EmbeddedRulesJson().find(rs.source_json()), std::string_view::npos);
    EXPECT_EQ(rs.source_json().front(), '{');
    EXPECT_EQ(rs.source_json().back(), '}');
  }
}

TEST(RuleLoader, LoadsFromAFileAndRejectsBadInput) {
  const std::string path = ::testing::TempDir() + "/rules.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << EmbeddedRulesJson();
  }
  auto from_file = LoadRuleSetsFromFile(path);
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->rule_sets.size(), 3u);
  std::remove(path.c_str());
  EXPECT_EQ(LoadRuleSetsFromFile(path).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadRuleSetsFromJson("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadRuleSetsFromJson(R"({"schema":"other"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad_date = LoadRuleSetsFromJson(
      R"({"schema":"coalition-ledger/rules/v1","rule_sets":[{"id":"X","effective":"2024-13-01",)"
      R"("entries":[{"eccn":"E","condition":{"param":"tpp","op":">=","value":1}}]}]})");
  EXPECT_EQ(bad_date.status().message(), "date: '2024-13-01' is not YYYY-MM-DD");
  EXPECT_EQ(*ParseDateMs("1970-01-02"), 86400000);
}

}  // namespace
}  // namespace coal::domain::testing
