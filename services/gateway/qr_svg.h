// QrSvg: a QR code as an SVG image (libqrencode), drawn server-side so that
// the confirmation page needs no script: one path of dark modules, a quiet
// zone of 4 modules, error correction M.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace accueil::gateway {

// QrSvg: `<svg ...>` for `text`, with `label` as its accessible name.
absl::StatusOr<std::string> QrSvg(const std::string& text, const std::string& label);

}  // namespace accueil::gateway
