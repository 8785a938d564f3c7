#include "services/common/idempotency.h"

#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/gate.h"

namespace accueil {
namespace {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash), sizeof hash));
}

}  // namespace

absl::StatusOr<Idempotency> ForRequest(std::string_view method,
                                       const google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName("request_id");
  Idempotency out;
  std::unique_ptr<google::protobuf::Message> rest(request.New());
  rest->CopyFrom(request);
  if (field != nullptr) {
    out.request_id = request.GetReflection()->GetString(request, field);
    rest->GetReflection()->ClearField(rest.get(), field);
  }
  if (out.request_id.size() > 100) {
    return InvalidField("INVALID_REQUEST_ID", "request_id",
                        "request_id is longer than 100 characters");
  }
  for (char c : out.request_id) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField("INVALID_REQUEST_ID", "request_id",
                          "request_id must be printable ASCII without spaces");
    }
  }
  if (out.request_id.empty()) out.request_id = NewRequestId();

  std::string bytes(method);
  bytes += '\n';
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    rest->SerializeToCodedStream(&coded);
  }
  out.hash_hex = Sha256Hex(bytes);
  return out;
}

std::string DerivedRequestId(std::string_view parent_request_id, std::string_view step) {
  // The parent's length first, so that no other (parent, step) pair spells
  // the same input; a hash, so that any parent and step give a valid id.
  std::string input = absl::StrCat("accueil.derived_request_id\n", parent_request_id.size(), "\n");
  input.append(parent_request_id);
  input.append(step);
  return "d-" + Sha256Hex(input);
}

}  // namespace accueil
