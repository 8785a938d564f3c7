#include "services/common/input/resource.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"

namespace accueil::input {
namespace {

// Debian's Abseil has its own string_view, distinct from std's.
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

absl::StatusOr<int64_t> ParseResourceId(std::string_view raw, std::string_view collection,
                                        std::string_view field) {
  int64_t id = 0;
  std::string_view rest = raw;
  bool ok = raw.size() <= 64 && rest.size() > collection.size() + 1 &&
            rest.substr(0, collection.size()) == collection && rest[collection.size()] == '/';
  if (ok) {
    rest.remove_prefix(collection.size() + 1);
    for (char c : rest) ok = ok && c >= '0' && c <= '9';
    ok = ok && absl::SimpleAtoi(A(rest), &id) && id > 0;
  }
  if (!ok) {
    return InvalidField("INVALID_RESOURCE_NAME", field,
                        absl::StrCat("expected a name like \"", A(collection), "/123\""));
  }
  return id;
}

namespace {

// ScopeDigest stands for the scope in a token: FNV-1a, 64 bits, in hex. A
// token then has a bounded size and carries none of the query's text (a
// searched name or e-mail address), whatever characters it holds. Not a
// secret: the scope only stops a token being replayed on another listing.
std::string ScopeDigest(std::string_view scope) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : scope) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
}

}  // namespace

std::string EncodePageToken(std::string_view scope, const std::vector<int64_t>& keys) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("v2|", ScopeDigest(scope), "|", absl::StrJoin(keys, "|")));
}

absl::StatusOr<std::vector<int64_t>> DecodePageToken(std::string_view token, std::string_view scope,
                                                     size_t key_count, std::string_view field) {
  absl::Status bad = InvalidField("INVALID_PAGE_TOKEN", field,
                                  "the page token is malformed or belongs to another listing");
  std::string text;
  if (token.size() > 512 || !absl::WebSafeBase64Unescape(A(token), &text)) {
    return bad;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, '|');
  if (parts.size() != key_count + 2 || parts[0] != "v2" || parts[1] != ScopeDigest(scope)) {
    return bad;
  }
  std::vector<int64_t> keys(key_count);
  for (size_t i = 0; i < key_count; ++i) {
    if (!absl::SimpleAtoi(parts[i + 2], &keys[i])) return bad;
  }
  return keys;
}

absl::StatusOr<int> ParsePageSize(int requested, int fallback, int max, std::string_view field) {
  if (requested < 0) {
    return InvalidField("INVALID_PAGE_SIZE", field, "page_size must not be negative");
  }
  if (requested == 0) return fallback;
  return requested > max ? max : requested;
}

}  // namespace accueil::input
