// Entity-name normalization and fuzzy matching for shipment parties (DESIGN §5: "normalized
// names, fuzzy match").
//
// Normalization: ASCII letters lower-cased, every other ASCII character except digits becomes a
// separator (so "Co., Ltd." and "Co Ltd" agree), runs of separators collapse to one space, and
// trailing legal-form tokens ("co ltd", "limited", "llc", "pte ltd", "sdn bhd", "gmbh", ...)
// are dropped while another token remains. Bytes >= 0x80 (UTF-8 names) are kept as they are.
//   "Shenzhen Huaxin Trading Co., Ltd."  -> "shenzhen huaxin trading"
//   "ALPHA-ONE Logistics Pte. Ltd"      -> "alpha one logistics"
//
// Fuzzy match: two normalized names match when they have the same number of tokens and token i
// of one is within kTokenEditsMax edits (Levenshtein) of token i of the other; tokens shorter
// than kFuzzyTokenMinBytes must be equal. Candidates are found with a deletion-neighbourhood
// dictionary at two levels — whole names with one token varied (NameVariants: one misspelt
// token, whatever the tokens) and single tokens (DeletionVariants: several misspelt tokens,
// when some token is rare) — so a lookup is a few exact prefix scans, never a pass over names.
//
// Limits: kEntityTokensMax tokens, kEntityTokenBytesMax bytes per token (longer are cut).
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coal::domain {

inline constexpr size_t kEntityTokensMax = 8;
inline constexpr size_t kEntityTokenBytesMax = 32;
inline constexpr size_t kFuzzyTokenMinBytes = 4;
inline constexpr int kTokenEditsMax = 1;

std::string NormalizeEntityName(std::string_view name);
std::vector<std::string> EntityTokens(std::string_view normalized);

// The token itself and every variant with one byte deleted (deduplicated); tokens shorter than
// kFuzzyTokenMinBytes yield only themselves.
std::vector<std::string> DeletionVariants(std::string_view token);

// Levenshtein distance, or max_edits + 1 as soon as it is known to exceed max_edits.
int BoundedEditDistance(std::string_view a, std::string_view b, int max_edits);

// Whole-name deletion neighbourhood: the name itself and, for each token, the name with that
// token replaced by each of its one-deletion variants. Two names within one edit of each other
// in one token share a variant, so a lookup of the query's variants finds them with exact scans
// even when every token is common.
std::vector<std::string> NameVariants(std::string_view normalized);

// Whether two normalized names match under the rule above (equal names always match).
bool FuzzyNameMatch(std::string_view a, std::string_view b);

// Lower case, non-alphanumerics collapsed to single spaces, trimmed: flag reasons.
std::string NormalizeText(std::string_view text);

}  // namespace coal::domain
