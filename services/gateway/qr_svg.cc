#include "services/gateway/qr_svg.h"

#include <qrencode.h>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/html.h"

namespace accueil::gateway {

absl::StatusOr<std::string> QrSvg(const std::string& text, const std::string& label) {
  QRcode* code = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == nullptr) {
    return Error(absl::StatusCode::kInternal, "QR_FAILED", "the QR code could not be made");
  }
  const int width = code->width;
  const int size = width + 8;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (code->data[y * width + x] & 1) absl::StrAppend(&path, "M", x + 4, " ", y + 4, "h1v1h-1z");
    }
  }
  QRcode_free(code);
  return absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"", HtmlEscape(label),
      "\" viewBox=\"0 0 ", size, " ", size,
      "\" width=\"240\" height=\"240\" shape-rendering=\"crispEdges\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"", path,
      "\"/></svg>");
}

}  // namespace accueil::gateway
