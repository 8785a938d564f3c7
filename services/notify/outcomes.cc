#include "services/notify/outcomes.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "services/common/db.h"

namespace accueil::notify {

void AppendOutcome(pqxx::transaction_base& tx, const MessageRef& m, const std::string& outcome,
                   const std::string& reason, absl::Time now) {
  nlohmann::json payload = {{"message", m.id},
                            {"appointment", m.appointment},
                            {"desk", m.desk},
                            {"site", m.site},
                            {"template", m.templ},
                            {"channel", m.channel},
                            {"time_zone", m.time_zone.empty() ? "Europe/Paris" : m.time_zone}};
  if (!reason.empty()) payload["reason"] = reason;
  tx.exec_params("SELECT shared.append_event('notify', $1, $2, $3, $4::timestamptz, $5::jsonb)",
                 absl::StrCat("message.", outcome), absl::StrCat("messages/", m.id), m.site,
                 db::SqlTime(now), payload.dump());
}

}  // namespace accueil::notify
