#include "node/domain/entity_names.h"

#include <algorithm>
#include <set>

namespace coal::domain {
namespace {

// Legal-form tokens after normalization (punctuation already gone).
const std::set<std::string_view>& LegalSuffixes() {
  static const auto* s = new std::set<std::string_view>{
      "co",  "ltd", "limited", "llc",  "inc",     "incorporated", "corp", "corporation", "company",
      "pte", "sdn", "bhd",     "gmbh", "plc",     "sa",           "ag",   "bv",          "nv",
      "kk",  "llp", "lp",      "pvt",  "private", "srl",          "spa",  "oy",          "ab",
      "jsc", "ooo", "fze",     "fzco", "fzc",     "fz",           "sarl", "pty",         "tbk",
      "pt",  "hk"};
  return *s;
}

std::string Collapse(std::string_view text, bool keep_high_bytes) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : text) {
    const bool word = std::isalnum(c) || (keep_high_bytes && c >= 0x80);
    if (!word) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(c < 0x80 ? std::tolower(c) : c));
  }
  return out;
}

}  // namespace

std::vector<std::string> EntityTokens(std::string_view normalized) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < normalized.size() && out.size() < kEntityTokensMax) {
    size_t j = normalized.find(' ', i);
    if (j == std::string_view::npos) j = normalized.size();
    if (j > i) out.emplace_back(normalized.substr(i, std::min(j - i, kEntityTokenBytesMax)));
    i = j + 1;
  }
  return out;
}

std::string NormalizeEntityName(std::string_view name) {
  std::vector<std::string> tokens = EntityTokens(Collapse(name.substr(0, 1024), true));
  while (tokens.size() > 1 && LegalSuffixes().contains(tokens.back())) tokens.pop_back();
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out.push_back(' ');
    out += t;
  }
  return out;
}

std::string NormalizeText(std::string_view text) { return Collapse(text.substr(0, 1024), true); }

std::vector<std::string> DeletionVariants(std::string_view token) {
  std::vector<std::string> out{std::string(token)};
  if (token.size() < kFuzzyTokenMinBytes) return out;
  for (size_t i = 0; i < token.size(); ++i) {
    std::string v(token.substr(0, i));
    v.append(token.substr(i + 1));
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::string> NameVariants(std::string_view normalized) {
  const std::vector<std::string> tokens = EntityTokens(normalized);
  std::vector<std::string> out{std::string(normalized)};
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto variants = DeletionVariants(tokens[i]);
    for (size_t v = 1; v < variants.size(); ++v) {
      std::string name;
      for (size_t k = 0; k < tokens.size(); ++k) {
        if (k > 0) name.push_back(' ');
        name += k == i ? variants[v] : tokens[k];
      }
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
  }
  return out;
}

int BoundedEditDistance(std::string_view a, std::string_view b, int max_edits) {
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_edits) return max_edits + 1;
  std::vector<int> prev(m + 1), cur(m + 1);
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      const int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > max_edits) return max_edits + 1;
    std::swap(prev, cur);
  }
  return std::min(prev[m], max_edits + 1);
}

bool FuzzyNameMatch(std::string_view a, std::string_view b) {
  if (a == b) return true;
  const auto ta = EntityTokens(a);
  const auto tb = EntityTokens(b);
  if (ta.size() != tb.size() || ta.empty()) return false;
  for (size_t i = 0; i < ta.size(); ++i) {
    if (ta[i] == tb[i]) continue;
    if (ta[i].size() < kFuzzyTokenMinBytes || tb[i].size() < kFuzzyTokenMinBytes) return false;
    if (BoundedEditDistance(ta[i], tb[i], kTokenEditsMax) > kTokenEditsMax) return false;
  }
  return true;
}

}  // namespace coal::domain
