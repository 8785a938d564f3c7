#include "services/metrics/rollup_consumer.h"

#include <string>

#include <nlohmann/json.hpp>

namespace accueil::metrics {

events::ConsumerOptions RollupConsumerOptions() {
  events::ConsumerOptions options;
  options.batch_size = 2000;
  return options;
}

std::unique_ptr<events::Consumer> NewRollupConsumer(db::Pool* pool, const Clock* clock,
                                                    Metrics* metrics,
                                                    events::ConsumerOptions options) {
  options.metrics = metrics;
  return std::make_unique<events::Consumer>(
      kRollupConsumerName, pool, clock,
      [](pqxx::work& tx, const std::vector<events::Event>& batch) -> absl::Status {
        // The payloads are the log's JSON already: spliced in, not parsed.
        std::string json = "[";
        for (const events::Event& e : batch) {
          if (json.size() > 1) json += ',';
          json +=
              nlohmann::json{
                  {"type", e.type}, {"site", e.site_id}, {"time", db::SqlTime(e.occurred_time)}}
                  .dump();
          json.pop_back();  // the closing brace: the payload follows
          json += ",\"payload\":";
          json += e.payload_json.empty() ? "{}" : e.payload_json;
          json += '}';
        }
        json += ']';
        tx.exec_params("SELECT metrics.apply_events($1::jsonb)", json);
        return absl::OkStatus();
      },
      options);
}

}  // namespace accueil::metrics
