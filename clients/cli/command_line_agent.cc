// What reception staff do with an appointment directly in booking: mark a
// no-show, and give a new access code (commands.cc runs them); and what
// notify sent about it (notify.cc). Arrivals,
// check-in and service go through the reception module
// (command_line_reception.cc).
#include "clients/cli/command_line.h"

namespace accueil::cli {

void AddAgentCommands(CommandLine& cli) {
  CLI::App& app = cli.app();
  const GlobalOptions& global = cli.global();

  // Arrivals, service and check-in go through the reception module (`accueil
  // lodge`, `accueil counter`); a no-show stays an agent's call.
  TransitionOptions& noshow_options = cli.NewOptions<TransitionOptions>();
  CLI::App* noshow = app.add_subcommand("noshow", "Mark that the person did not come");
  noshow->add_option("appointment", noshow_options.name, "appointments/{id}")->required();
  AddRequestIdOption(noshow, &noshow_options.request_id);
  cli.OnRun(noshow, [&global, &noshow_options] { return RunNoShow(global, noshow_options); });

  NameOptions& reset_options = cli.NewOptions<NameOptions>();
  CLI::App* reset_code =
      app.add_subcommand("reset-code",
                         "Give a person who lost their access code a new one (agents, with "
                         "--reason; the old code and check-in token stop working)");
  reset_code->add_option("appointment", reset_options.name, "appointments/{id}")->required();
  AddRequestIdOption(reset_code, &reset_options.request_id);
  cli.OnRun(reset_code, [&global, &reset_options] { return RunResetCode(global, reset_options); });

  // What was sent about an appointment (notify.cc).
  CLI::App* notify = app.add_subcommand("notify", "The e-mails and SMS about appointments");
  notify->require_subcommand(1);
  NameOptions& list_options = cli.NewOptions<NameOptions>();
  CLI::App* list = notify->add_subcommand(
      "list",
      "What was sent (and is to be sent) about an appointment: each message's template, "
      "channel, state, reason and attempts (agents of its site, with --reason)");
  list->add_option("appointment", list_options.name, "appointments/{id} or {id}")->required();
  cli.OnRun(list, [&global, &list_options] { return RunNotifyList(global, list_options); });

  NoticeOptions& notice_options = cli.NewOptions<NoticeOptions>();
  CLI::App* notice = notify->add_subcommand(
      "send-notice",
      "Send the person a notice from a template (agents of the appointment's site, with "
      "--reason; audited)");
  notice->add_option("appointment", notice_options.appointment, "appointments/{id} or {id}")
      ->required();
  notice->add_option("--notice", notice_options.notice, "which notice")
      ->required()
      ->check(CLI::IsMember({"convocation", "documents-missing", "permit-ready"}));
  notice
      ->add_option("--channel", notice_options.channels,
                   "email or sms (repeatable); default: every channel the person has")
      ->check(CLI::IsMember({"email", "sms"}));
  AddRequestIdOption(notice, &notice_options.request_id);
  cli.OnRun(notice, [&global, &notice_options] { return RunSendNotice(global, notice_options); });

  ResendAccessOptions& resend_options = cli.NewOptions<ResendAccessOptions>();
  CLI::App* resend = notify->add_subcommand(
      "resend-access",
      "Send the management details of the coming appointments with this reference, phone or "
      "e-mail to the contact on file (anyone; the same answer whether or not one exists)");
  CLI::Option_group* key = resend->add_option_group("key", "exactly one");
  key->add_option("--reference", resend_options.reference, "the appointment's reference");
  key->add_option("--phone", resend_options.phone, "the phone number it was booked with");
  key->add_option("--email", resend_options.email, "the e-mail address it was booked with");
  key->require_option(1);
  cli.OnRun(resend, [&global, &resend_options] { return RunResendAccess(global, resend_options); });

  SurveyOptions& survey_options = cli.NewOptions<SurveyOptions>();
  CLI::App* survey = notify->add_subcommand(
      "survey",
      "Answer a satisfaction survey: the link's end (after #), then each item 1 (very "
      "dissatisfied) to 4 (very satisfied); an item left out is not answered");
  survey->add_option("link", survey_options.link, "MESSAGE-TOKEN, from the survey's link")
      ->required();
  const auto score = CLI::Range(1, 4);
  survey->add_option("--delay", survey_options.delay, "delay to obtain the appointment")
      ->check(score);
  survey->add_option("--courtesy", survey_options.courtesy, "courtesy")->check(score);
  survey->add_option("--availability", survey_options.availability, "availability")->check(score);
  survey->add_option("--clarity", survey_options.clarity, "clarity of the information")
      ->check(score);
  survey->add_option("--comfort", survey_options.comfort, "comfort of the premises")->check(score);
  survey->add_option("--overall", survey_options.overall, "overall satisfaction")->check(score);
  survey->add_option("--comment", survey_options.comment, "at most 1,000 characters");
  cli.OnRun(survey, [&global, &survey_options] { return RunSurvey(global, survey_options); });
}

}  // namespace accueil::cli
