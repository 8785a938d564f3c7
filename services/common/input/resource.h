// Resource names and page tokens from clients.
//
//   absl::StatusOr<int64_t> id = ParseResourceId("slots/12", "slots", "slot");
//   std::string token = EncodePageToken("slots:desks/3", {start_micros, id});
//   absl::StatusOr<std::vector<int64_t>> keys =
//       DecodePageToken(token, "slots:desks/3", 2, "page_token");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accueil::input {

// ParseResourceId reads "<collection>/<positive id>". Reason:
// INVALID_RESOURCE_NAME.
absl::StatusOr<int64_t> ParseResourceId(std::string_view raw, std::string_view collection,
                                        std::string_view field);

// EncodePageToken makes an opaque token holding the keyset position `keys`
// of a listing identified by `scope` (the query's fixed parameters, any
// text: the token holds a digest of it), so a token cannot be replayed
// against another listing.
std::string EncodePageToken(std::string_view scope, const std::vector<int64_t>& keys);

// DecodePageToken returns the keys of a token made by EncodePageToken for the
// same `scope` with `key_count` keys. Reason: INVALID_PAGE_TOKEN.
absl::StatusOr<std::vector<int64_t>> DecodePageToken(std::string_view token, std::string_view scope,
                                                     size_t key_count, std::string_view field);

// ParsePageSize returns the page size to use: `requested` when in
// [1, max], `fallback` when 0. Reason: INVALID_PAGE_SIZE (negative).
absl::StatusOr<int> ParsePageSize(int requested, int fallback, int max, std::string_view field);

}  // namespace accueil::input
