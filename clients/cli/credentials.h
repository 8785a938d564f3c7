// Credentials of the `accueil` command-line client: the caller's bearer token
// and the agent's reason, both sent as gRPC metadata on every call
// (session.h).
//
// The token comes from --token or ACCUEIL_TOKEN, else from the token file
// that `accueil login` saves:
//   ${ACCUEIL_TOKEN_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/accueil/token}
// (mode 600, in a directory of mode 700). Without a token the caller is the
// public. A token is a secret: nothing here prints one.
//
//   absl::StatusOr<TokenFile> file = TokenFilePath();
//   absl::StatusOr<IssuedToken> issued = RequestDevToken(
//       {.issuer = "http://127.0.0.1:50052", .role = "LODGE_AGENT",
//        .site = "sites/1", .subject = "alice", .timeout_seconds = 10});
//   absl::Status saved = SaveToken(*file, issued->access_token);
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clients/cli/commands.h"

namespace accueil::cli {

struct TokenFile {
  std::string path;
  // The path is the default one (not ACCUEIL_TOKEN_FILE): its directory
  // belongs to accueil and is kept at mode 700.
  bool default_location = false;
};

// TokenFilePath returns where `accueil login` saves the token. Fails when
// neither ACCUEIL_TOKEN_FILE, XDG_CONFIG_HOME nor HOME says where.
absl::StatusOr<TokenFile> TokenFilePath();

// LoadCredentials completes `global` before a call: with a token given
// (--token, ACCUEIL_TOKEN) it checks it and names its source; otherwise it
// reads the token file when there is one. No file is not an error (the
// public). A token file readable by others is used, with a warning.
absl::Status LoadCredentials(GlobalOptions* global);

// SaveToken writes `token` to the file, atomically, mode 600, creating its
// directory (mode 700) when missing.
absl::Status SaveToken(const TokenFile& file, absl::string_view token);

// DeleteToken removes the token file; false when there was none.
absl::StatusOr<bool> DeleteToken(const TokenFile& file);

// IsTokenText: what a bearer token may be (printable ASCII, no blanks).
bool IsTokenText(absl::string_view token);

// AgentReasonHeader checks an agent's reason as the server will: one line of
// UTF-8 text (any script), at most 500 characters, no control characters.
// It travels verbatim in the binary metadata x-agent-reason-bin.
absl::StatusOr<std::string> AgentReasonHeader(absl::string_view text);

// The development issuer's token endpoint (docs/security.md).
struct DevTokenRequest {
  std::string issuer;   // "http://127.0.0.1:50052"; "http://" may be omitted
  std::string role;     // Role enum name, e.g. "LODGE_AGENT"
  std::string site;     // "sites/{id}", or "" for every site
  std::string subject;  // the OpenID subject to be
  double timeout_seconds = 10;
};

struct IssuedToken {
  std::string access_token;
  int64_t expires_in_seconds = 0;  // 0: not said
};

// RequestDevToken asks the development issuer for a token (POST
// {issuer}/token). Errors: UNAVAILABLE when the issuer cannot be reached,
// INVALID_ARGUMENT when it refuses the request (its error_description is in
// the message), PERMISSION_DENIED on 401/403, UNKNOWN on anything else.
absl::StatusOr<IssuedToken> RequestDevToken(const DevTokenRequest& request);

}  // namespace accueil::cli
