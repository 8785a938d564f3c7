#include "services/notify/contacts.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/person_key.h"

namespace accueil::notify {
namespace {

// Keys as a SQL array literal of hexadecimal strings.
std::string HexArray(const std::vector<std::string>& hex) {
  return absl::StrCat("{", absl::StrJoin(hex, ","), "}");
}

}  // namespace

Contacts::Contacts(db::Pool& pool, const Secrets& secrets) : secrets_(secrets) {
  pool.Prepare("notify_contacts_read",
               absl::StrCat("SELECT encode(contact_key, 'hex') AS key, channel, "
                            "opted_out_time IS NOT NULL AS opted_out, ",
                            db::Micros("bounce_time"),
                            " AS bounce_micros, coalesce(bounce_reason, '') AS bounce_reason "
                            "FROM notify.contacts WHERE contact_key = ANY(ARRAY(SELECT "
                            "decode(k, 'hex') FROM unnest($1::text[]) k))"));
  pool.Prepare("notify_contacts_delete",
               "DELETE FROM notify.contacts WHERE channel = $2 AND contact_key = ANY(ARRAY("
               "SELECT decode(k, 'hex') FROM unnest($1::text[]) k))");
  pool.Prepare("notify_contacts_put",
               "INSERT INTO notify.contacts (contact_key, channel, opted_out_time, bounce_time, "
               "bounce_reason, update_time) VALUES (decode($1, 'hex'), $2, $3::timestamptz, "
               "$4::timestamptz, NULLIF($5, ''), $6::timestamptz)");
}

std::map<Contacts::Key, ContactFlags> Contacts::Read(pqxx::transaction_base& tx,
                                                     const std::vector<Key>& asked) const {
  std::map<Key, ContactFlags> out;
  if (asked.empty()) return out;
  std::map<std::string, std::string> contact_of;  // hex key -> contact
  std::vector<std::string> keys;
  for (const Key& k : asked) {
    for (const std::string& key : PersonKeys(secrets_, k.first)) {
      const std::string hex = absl::BytesToHexString(key);
      contact_of[hex] = k.first;
      keys.push_back(hex);
    }
  }
  for (const pqxx::row& r : tx.exec_prepared("notify_contacts_read", HexArray(keys))) {
    auto contact = contact_of.find(r["key"].as<std::string>());
    if (contact == contact_of.end()) continue;
    const Key key{contact->second, r["channel"].as<std::string>()};
    if (std::find(asked.begin(), asked.end(), key) == asked.end()) continue;
    ContactFlags& f = out[key];
    f.opted_out |= r["opted_out"].as<bool>();
    if (!r["bounce_micros"].is_null()) {
      const absl::Time t = absl::FromUnixMicros(r["bounce_micros"].as<int64_t>());
      if (!f.bounce_time.has_value() || *f.bounce_time < t) {
        f.bounce_time = t;
        f.bounce_reason = r["bounce_reason"].as<std::string>();
      }
    }
  }
  return out;
}

void Contacts::Write(pqxx::transaction_base& tx, const Key& contact, absl::Time now,
                     const std::function<void(ContactFlags&)>& change) const {
  // One writer per contact and channel at a time (a sender's bounce and
  // the person's opt-out would otherwise overwrite each other).
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                 absl::StrCat("notify.contacts:", contact.second, ":",
                              absl::BytesToHexString(PersonKey(secrets_, contact.first))));
  ContactFlags flags;
  auto found = Read(tx, {contact});
  if (!found.empty()) flags = found.begin()->second;
  change(flags);
  std::vector<std::string> keys;
  for (const std::string& key : PersonKeys(secrets_, contact.first)) {
    keys.push_back(absl::BytesToHexString(key));
  }
  tx.exec_prepared("notify_contacts_delete", HexArray(keys), contact.second);
  if (!flags.opted_out && !flags.bounce_time.has_value()) return;  // nothing to remember
  tx.exec_prepared("notify_contacts_put", keys.front(), contact.second,
                   flags.opted_out ? std::optional<std::string>(db::SqlTime(now)) : std::nullopt,
                   flags.bounce_time.has_value()
                       ? std::optional<std::string>(db::SqlTime(*flags.bounce_time))
                       : std::nullopt,
                   flags.bounce_reason, db::SqlTime(now));
}

void Contacts::SetOptOut(pqxx::transaction_base& tx, const Key& contact, bool opted_out,
                         absl::Time now) const {
  Write(tx, contact, now, [&](ContactFlags& f) { f.opted_out = opted_out; });
}

void Contacts::SetBounce(pqxx::transaction_base& tx, const Key& contact, const std::string& reason,
                         absl::Time now) const {
  Write(tx, contact, now, [&](ContactFlags& f) {
    f.bounce_time = now;
    f.bounce_reason = reason;
  });
}

void Contacts::ClearBounce(pqxx::transaction_base& tx, const Key& contact, absl::Time now) const {
  Write(tx, contact, now, [&](ContactFlags& f) {
    f.bounce_time.reset();
    f.bounce_reason.clear();
  });
}

}  // namespace accueil::notify
