// E-mail over SMTP with libcurl: STARTTLS (required or not), authentication,
// one connection kept open per sender thread. The message (mime.h) carries a
// stable Message-ID, so a message sent twice after a crash is recognisable.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/notify/channel.h"

namespace accueil::notify {

struct SmtpOptions {
  // "smtp://host:port" (STARTTLS per `starttls`) or "smtps://host:port".
  std::string url;
  // Require STARTTLS (refuse to send in clear).
  bool starttls = false;
  std::string user, password;  // none when empty
  // The envelope and From: address.
  std::string from = "ne-pas-repondre@accueil.invalid";
  // Message-ID's right-hand side.
  std::string domain = "accueil.invalid";
  absl::Duration timeout = absl::Seconds(20);
};

std::unique_ptr<Transport> NewSmtpTransport(const SmtpOptions& options);

}  // namespace accueil::notify
