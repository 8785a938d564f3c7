// Contacts (docs/notify.md#opt-out): what notify knows of a person's e-mail
// address or phone number, by its keyed hash (person_key.h), never the
// contact itself: whether the person stopped the channel (opt-out), and
// whether it bounces (the provider refused it for good, or reported a
// message undelivered), which agents see in ListMessages.
//
// A contact's row is found under every key of the ring and written back
// under the signing key (so a rotation moves rows as they are used; notify
// holds no contact to rekey with).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "services/common/db.h"
#include "services/common/secrets.h"

namespace accueil::notify {

struct ContactFlags {
  bool opted_out = false;
  std::optional<absl::Time> bounce_time;
  std::string bounce_reason;
};

class Contacts {
 public:
  // Prepares its statements on `pool`.
  Contacts(db::Pool& pool, const Secrets& secrets);

  // Read: the flags of each (contact, channel) asked, in one statement;
  // contacts without a row are missing from the answer.
  using Key = std::pair<std::string, std::string>;  // contact, channel
  std::map<Key, ContactFlags> Read(pqxx::transaction_base& tx, const std::vector<Key>& asked) const;

  // The writes, each in `tx` (several statements: give a transaction).
  void SetOptOut(pqxx::transaction_base& tx, const Key& contact, bool opted_out,
                 absl::Time now) const;
  void SetBounce(pqxx::transaction_base& tx, const Key& contact, const std::string& reason,
                 absl::Time now) const;
  void ClearBounce(pqxx::transaction_base& tx, const Key& contact, absl::Time now) const;

 private:
  // Write replaces the contact's rows (under any key) by one under the
  // signing key, `change` applied to what they held.
  void Write(pqxx::transaction_base& tx, const Key& contact, absl::Time now,
             const std::function<void(ContactFlags&)>& change) const;
  const Secrets& secrets_;
};

}  // namespace accueil::notify
