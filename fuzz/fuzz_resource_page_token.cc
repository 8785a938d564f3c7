// ParseResourceId, DecodePageToken / EncodePageToken and ParsePageSize.
//
// Input layout: a selector byte (taken modulo 4, so the seeds can use the
// digits '0' to '3'), then
//   0: "<collection>\n<name>"           ParseResourceId(name, collection)
//   1: "<key count><scope>\n<token>"    DecodePageToken(token, scope, count)
//      (the count byte is taken as (byte + 2) % 5: the digits '0'..'4' are 0..4)
//   2: FuzzedDataProvider bytes         EncodePageToken(scope, keys), Decode
//                                       for that scope and for another one
//   3: FuzzedDataProvider bytes         ParsePageSize(requested, fallback, max)
// Properties: an accepted id is positive and "<collection>/<id>" gives it
// back; a decoded token's keys survive Encode/Decode; a token always decodes
// for its own scope and key count and never for another scope; page sizes
// follow the documented rule.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "services/common/input/resource.h"

namespace {

using accueil::fuzz::CheckRefusal;
using accueil::input::DecodePageToken;
using accueil::input::EncodePageToken;
using accueil::input::ParsePageSize;
using accueil::input::ParseResourceId;

// FirstLine removes and returns the text before the first '\n' (all of it
// when there is none).
std::string_view FirstLine(std::string_view* rest) {
  const size_t end = rest->find('\n');
  const std::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end + 1);
  return line;
}

void ResourceId(std::string_view in) {
  const std::string collection(FirstLine(&in));
  const std::string raw(in);
  const absl::StatusOr<int64_t> id = ParseResourceId(raw, collection, "name");
  if (!id.ok()) {
    CheckRefusal(id.status(), absl::StatusCode::kInvalidArgument, {"INVALID_RESOURCE_NAME"},
                 "name");
    return;
  }
  FUZZ_CHECK(*id > 0);
  FUZZ_CHECK(raw.size() > collection.size() && raw.compare(0, collection.size(), collection) == 0);
  const absl::StatusOr<int64_t> again =
      ParseResourceId(collection + "/" + std::to_string(*id), collection, "name");
  FUZZ_CHECK(again.ok() && *again == *id);
}

void Decode(std::string_view in) {
  if (in.empty()) return;
  const size_t key_count = (static_cast<unsigned char>(in[0]) + 2) % 5;  // '0'..'4'
  in.remove_prefix(1);
  const std::string scope(FirstLine(&in));
  const std::string token(in);
  const absl::StatusOr<std::vector<int64_t>> keys =
      DecodePageToken(token, scope, key_count, "page_token");
  if (!keys.ok()) {
    CheckRefusal(keys.status(), absl::StatusCode::kInvalidArgument, {"INVALID_PAGE_TOKEN"},
                 "page_token");
    return;
  }
  FUZZ_CHECK(keys->size() == key_count);
  if (key_count == 0) return;  // see RoundTrip
  const absl::StatusOr<std::vector<int64_t>> again =
      DecodePageToken(EncodePageToken(scope, *keys), scope, key_count, "page_token");
  FUZZ_CHECK(again.ok() && *again == *keys);
}

void RoundTrip(FuzzedDataProvider& in) {
  // At least one key: EncodePageToken(scope, {}) makes "v2|<digest>|", which
  // DecodePageToken(..., 0, ...) refuses (three fields, not two). Every
  // listing pages on one or two keys, so the services never meet this.
  std::vector<int64_t> keys(in.ConsumeIntegralInRange<size_t>(1, 4));
  for (int64_t& key : keys) key = in.ConsumeIntegral<int64_t>();
  const std::string scope = in.ConsumeRandomLengthString(128);
  const std::string other = in.ConsumeRemainingBytesAsString();
  const std::string token = EncodePageToken(scope, keys);
  // The token holds a digest of the scope: any scope, a bounded token.
  FUZZ_CHECK(token.size() <= 512);
  {
    const absl::StatusOr<std::vector<int64_t>> decoded =
        DecodePageToken(token, scope, keys.size(), "page_token");
    FUZZ_CHECK(decoded.ok() && *decoded == keys);
    FUZZ_CHECK(!DecodePageToken(token, scope, keys.size() + 1, "page_token").ok());
  }
  if (other != scope) {
    FUZZ_CHECK(!DecodePageToken(token, other, keys.size(), "page_token").ok());
  }
}

void PageSize(FuzzedDataProvider& in) {
  const int requested = in.ConsumeIntegral<int>();
  const int fallback = in.ConsumeIntegral<int>();
  const int max = in.ConsumeIntegral<int>();
  const absl::StatusOr<int> size = ParsePageSize(requested, fallback, max, "page_size");
  if (requested < 0) {
    CheckRefusal(size.status(), absl::StatusCode::kInvalidArgument, {"INVALID_PAGE_SIZE"},
                 "page_size");
    return;
  }
  FUZZ_CHECK(size.ok());
  FUZZ_CHECK(*size == (requested == 0 ? fallback : std::min(requested, max)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = accueil::fuzz::AsText(data + 1, size - 1);
  FuzzedDataProvider in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      ResourceId(rest);
      break;
    case 1:
      Decode(rest);
      break;
    case 2:
      RoundTrip(in);
      break;
    default:
      PageSize(in);
      break;
  }
  return 0;
}
