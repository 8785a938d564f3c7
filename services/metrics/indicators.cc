#include "services/metrics/indicators.h"

#include <algorithm>

namespace accueil::metrics {
namespace {

constexpr double kMinute = 60;
constexpr double kDay = 86400;

IndicatorDef Def(const char* id, const char* title, const char* unit, v1::Direction direction,
                 const char* definition, IndicatorDef::Kind kind,
                 std::vector<std::string> measures) {
  IndicatorDef d;
  d.indicator.set_id(id);
  d.indicator.set_title(title);
  d.indicator.set_unit(unit);
  d.indicator.set_periodicity("monthly");
  d.indicator.set_default_direction(direction);
  d.indicator.set_definition(definition);
  d.kind = kind;
  d.measures = std::move(measures);
  return d;
}

IndicatorDef Ratio(IndicatorDef d, std::vector<std::string> denominator) {
  d.denominator = std::move(denominator);
  return d;
}

IndicatorDef Scaled(IndicatorDef d, double unit_seconds, int64_t permille = 0) {
  d.scale = 1 / unit_seconds;
  d.permille = permille;
  return d;
}

std::vector<IndicatorDef> Build() {
  using K = IndicatorDef::Kind;
  const std::vector<std::string> due = {"appointments.noshow", "appointments.honoured"};
  std::vector<IndicatorDef> all;
  all.push_back(Ratio(Def("noshow_rate", "No-show rate", "percent", v1::AT_MOST,
                          "appointments not honoured / appointments due (honoured or no-show; "
                          "cancelled ones are not due)",
                          K::kRatio, {"appointments.noshow"}),
                      due));
  all.push_back(Ratio(Def("not_served_rate", "Arrived but not served", "percent", v1::AT_MOST,
                          "people who arrived but were not served (left, missed their calls, "
                          "sent away at closing) / appointments due",
                          K::kRatio, {"appointments.not_served"}),
                      due));
  all.push_back(Ratio(Def("cancellation_rate", "Cancellation rate", "percent", v1::AT_MOST,
                          "appointments cancelled by the person or an agent / appointments of "
                          "the period (a closure's cancellations are in neither)",
                          K::kRatio, {"appointments.cancelled"}),
                      {"appointments.scheduled"}));
  all.push_back(
      Ratio(Def("late_cancellation_rate", "Late cancellations (under 24 h)", "percent", v1::AT_MOST,
                "appointments cancelled less than 24 hours before their start / "
                "appointments of the period",
                K::kRatio, {"appointments.cancelled_late"}),
            {"appointments.scheduled"}));
  all.push_back(
      Scaled(Def("booking_delay_mean", "Delay to obtain an appointment (mean)", "days", v1::AT_MOST,
                 "from booking to the start of the slot obtained, over the "
                 "appointments booked in the period",
                 K::kMean, {"booking.delay"}),
             kDay));
  all.push_back(Scaled(
      Def("booking_delay_median", "Delay to obtain an appointment (median)", "days", v1::AT_MOST,
          "the median of the same delays (histogram)", K::kPercentile, {"booking.delay"}),
      kDay, 500));
  all.push_back(
      Scaled(Def("booking_delay_p90", "Delay to obtain an appointment (90th percentile)", "days",
                 v1::AT_MOST, "the 90th percentile of the same delays (histogram)", K::kPercentile,
                 {"booking.delay"}),
             kDay, 900));
  all.push_back(Scaled(Def("next_free_slot_mean", "Next free slot (mean)", "days", v1::AT_MOST,
                           "from the day's first look to the start of the first free slot, as a "
                           "person booking would see it, over the days of the period (one look "
                           "per desk and day)",
                           K::kMean, {"slot.next_free"}),
                       kDay));
  all.push_back(Scaled(Def("wait_mean", "Waiting time on site (mean)", "minutes", v1::AT_MOST,
                           "from check-in to the first call, over the visits of the period",
                           K::kMean, {"visit.wait"}),
                       kMinute));
  all.push_back(Scaled(
      Def("wait_p90", "Waiting time on site (90th percentile)", "minutes", v1::AT_MOST,
          "the 90th percentile of the same waits (histogram)", K::kPercentile, {"visit.wait"}),
      kMinute, 900));
  IndicatorDef within =
      Def("wait_within_30min", "Called within 30 minutes", "percent", v1::AT_LEAST,
          "visits called less than 30 minutes after check-in / visits called", K::kShareBelow,
          {"visit.wait"});
  within.threshold = 30 * kMinute;
  all.push_back(within);
  all.push_back(
      Scaled(Def("service_mean", "Service time at the counter (mean)", "minutes", v1::AT_MOST,
                 "from the start to the end of the service, over the "
                 "visits finished in the period",
                 K::kMean, {"visit.service"}),
             kMinute));
  all.push_back(Scaled(Def("lateness_mean", "Lateness of arrivals (mean)", "minutes", v1::AT_MOST,
                           "check-in time minus the appointment's start, 0 when early, over the "
                           "people who arrived",
                           K::kMean, {"arrival.lateness"}),
                       kMinute));
  all.push_back(
      Ratio(Def("late_arrival_rate", "Arrivals after the grace period", "percent", v1::AT_MOST,
                "people admitted after the desk's grace period by an agent's decision "
                "/ appointments honoured",
                K::kRatio, {"arrival.late"}),
            {"appointments.honoured"}));
  all.push_back(Def("received_with_appointment", "People received with an appointment", "people",
                    v1::AT_LEAST, "appointments honoured (checked in)", K::kCount,
                    {"received.appointment"}));
  all.push_back(Def("received_without_appointment", "People received without an appointment",
                    "people", v1::AT_LEAST,
                    "walk-ins registered at the lodge, whatever their outcome", K::kCount,
                    {"received.walk_in"}));
  all.push_back(Def("received_total", "People received", "people", v1::AT_LEAST,
                    "with and without an appointment", K::kCount,
                    {"received.appointment", "received.walk_in"}));
  all.push_back(Def("appointments_unrecorded", "Appointments without a recorded outcome",
                    "appointments", v1::AT_MOST,
                    "appointments still booked after their day: no arrival or no-show was "
                    "recorded (a desk without reception)",
                    K::kCount, {"appointments.unrecorded"}));
  // Notify's (services/notify): reminders delivered, the satisfaction survey.
  all.push_back(
      Ratio(Def("reminder_delivery_email", "E-mail reminders delivered", "percent", v1::AT_LEAST,
                "e-mail reminders the receiving mail server took / e-mail reminders "
                "whose outcome is known (taken, refused, or out of retries)",
                K::kRatio, {"reminders.email_delivered"}),
            {"reminders.email_sent"}));
  all.push_back(
      Ratio(Def("reminder_delivery_sms", "SMS reminders delivered", "percent", v1::AT_LEAST,
                "SMS reminders a delivery report said delivered / SMS reminders "
                "whose outcome is known (delivered, undelivered, refused, or out of "
                "retries)",
                K::kRatio, {"reminders.sms_delivered"}),
            {"reminders.sms_sent"}));
  const std::pair<const char*, const char*> items[] = {
      {"delay", "Survey: delay to obtain the appointment"},
      {"courtesy", "Survey: courtesy"},
      {"availability", "Survey: availability"},
      {"clarity", "Survey: clarity of the information"},
      {"comfort", "Survey: comfort of the premises"},
      {"overall", "Survey: overall satisfaction"}};
  for (const auto& [item, title] : items) {
    IndicatorDef d = Def("", title, "score (1-4)", v1::AT_LEAST,
                         "mean of the answers to this item (1 very dissatisfied to 4 very "
                         "satisfied) over the surveys answered in the period; unanswered items "
                         "are not counted",
                         K::kMean, {std::string("survey.") + item});
    d.indicator.set_id(std::string("survey_") + item);
    all.push_back(d);
  }
  // Entered monthly by the quality officer: what the system cannot record.
  auto manual = [&](const char* id, const char* title, const char* unit, v1::Direction direction,
                    const char* definition) {
    IndicatorDef d = Def(id, title, unit, direction, definition, K::kManual, {});
    d.indicator.set_manual(true);
    all.push_back(d);
  };
  manual("calls_answered_rate", "Calls answered", "percent", v1::AT_LEAST,
         "calls answered / calls received (from the telephone system)");
  manual("email_reply_delay", "Reply delay, e-mails (mean)", "days", v1::AT_MOST,
         "days from an e-mail's receipt to its reply (from the mailbox)");
  manual("first_application_delay", "Processing delay, first residence applications (mean)", "days",
         v1::AT_MOST, "days from a complete file to the decision (from the file system)");
  manual("digital_point_registrations", "People registered at the digital access point", "people",
         v1::AT_LEAST, "people the digital mediator registered in the month");
  return all;
}

int64_t CountOf(const Period& p, const std::vector<std::string>& measures) {
  int64_t n = 0;
  for (const std::string& m : measures) {
    auto it = p.measures.find(m);
    if (it != p.measures.end()) n += it->second.count;
  }
  return n;
}

}  // namespace

const std::vector<IndicatorDef>& Indicators() {
  static const std::vector<IndicatorDef> all = Build();
  return all;
}

IndicatorValue Compute(const IndicatorDef& def, const Period& period) {
  IndicatorValue out;
  using K = IndicatorDef::Kind;
  if (def.kind == K::kManual) {
    auto it = period.manual.find(def.indicator.id());
    if (it != period.manual.end()) out.value = it->second;
    return out;
  }
  if (def.kind == K::kCount) {
    out.count = CountOf(period, def.measures);
    out.value = static_cast<double>(out.count);
    return out;
  }
  if (def.kind == K::kRatio) {
    out.count = CountOf(period, def.denominator);
    if (out.count > 0) out.value = 100.0 * CountOf(period, def.measures) / out.count;
    return out;
  }
  auto it = period.measures.find(def.measures.front());
  if (it == period.measures.end() || it->second.count == 0) return out;
  const Rollup& r = it->second;
  out.count = r.count;
  if (def.kind == K::kMean) {
    out.value = r.sum / r.count * def.scale;
    return out;
  }
  const std::vector<double>& bounds = period.bounds->at(def.measures.front());
  if (def.kind == K::kShareBelow) {
    int64_t below = 0;
    for (size_t i = 0; i < r.histogram.size() && i < bounds.size(); ++i) {
      if (bounds[i] > def.threshold) break;
      below += r.histogram[i];
    }
    out.value = 100.0 * below / r.count;
    return out;
  }
  // kPercentile: the bucket holding the value of rank ceil(n * permille /
  // 1000), in integers; its upper bound (the last bucket's lower one).
  const int64_t rank = std::max<int64_t>(1, (r.count * def.permille + 999) / 1000);
  int64_t seen = 0;
  for (size_t i = 0; i < r.histogram.size(); ++i) {
    seen += r.histogram[i];
    if (seen >= rank) {
      out.value = (i < bounds.size() ? bounds[i] : bounds.back()) * def.scale;
      return out;
    }
  }
  return out;
}

}  // namespace accueil::metrics
