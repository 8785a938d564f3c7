// The public pages in a real browser (book, add it to the calendar, read
// the confirmation e-mail and follow its link, move and cancel; the survey,
// attendance and opt-out pages from their messages' links): Debian's
// Chromium driven by playwright-core, checked by axe-core (WCAG 2.1 AA),
// against a running gateway. Run by tests/gateway/browser_test.cc, which
// starts the server with a desk open on 2026-06-02, has notify send the
// messages the links come from, and passes:
//
//   node tests/web/journey.mjs BASE_URL DESK_PATH SCREENSHOT_DIR MAILDIR \
//       SURVEY_LINKS ATTENDANCE_LINKS PREFERENCES_LINK KIOSK_TOKEN KIOSK_REFERENCE
//
// MAILDIR is the SMTP test server's (one file per mail in new/); the links
// are the "ID-TOKEN" fragments of the messages: a survey and an attendance
// request for each language (comma-separated: each is answered once), and
// one opt-out link (switched in each language); KIOSK_TOKEN is a lodge
// kiosk's device token and KIOSK_REFERENCE the reference of a person due
// now, who checks in there in each language.
//
// with NODE_PATH at build/web/node_modules. Exits 1 on the first failed
// check, printing it; every page of the journey is checked by axe in every
// language, and photographed at phone (360 px) and desktop (1280 px) widths.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { check, run, shown, tabTo } from './browser.mjs';

const [base, deskPath, shots, maildir, surveyLinks, attendanceLinks, preferencesLink,
  kioskToken, kioskReference] = process.argv.slice(2);
const languages = ['fr', 'en', 'ar'];
if (!kioskReference || surveyLinks.split(',').length !== languages.length ||
    attendanceLinks.split(',').length !== languages.length) {
  console.error('usage: node journey.mjs BASE_URL DESK_PATH SCREENSHOT_DIR MAILDIR ' +
    'SURVEY_LINKS ATTENDANCE_LINKS PREFERENCES_LINK KIOSK_TOKEN KIOSK_REFERENCE ' +
    '(a survey and an attendance link a language)');
  process.exit(2);
}

// linkInMail: the first link starting with `prefix` in a mail to `to`, as
// the SMTP server received it (the text part is base64), waiting up to 30 s.
async function linkInMail(to, prefix) {
  for (let attempt = 0; attempt < 300; attempt++) {
    for (const name of readdirSync(path.join(maildir, 'new'))) {
      const mail = readFileSync(path.join(maildir, 'new', name), 'utf8').replace(/\r\n/g, '\n');
      if (!mail.split('\n').includes(`To: ${to}`)) continue;
      const part = /Content-Type: text\/plain[^\n]*\n(?:[^\n]+\n)*\n([A-Za-z0-9+/=\n]+)/.exec(mail);
      if (!part) continue;
      const text = Buffer.from(part[1].replace(/\n/g, ''), 'base64').toString('utf8');
      const at = text.indexOf(prefix);
      if (at >= 0) return text.slice(at).split(/\s/)[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${to} with a link ${prefix}`);
}

await run(shots, async (browser, audit) => {
  for (const [index, lang] of languages.entries()) {
    const surveyLink = surveyLinks.split(',')[index];
    const attendanceLink = attendanceLinks.split(',')[index];
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    // The home page, then the desk, then the first day's first slot.
    await page.goto(`${base}/?lang=${lang}`);
    check((await page.getAttribute('html', 'lang')) === lang, `${lang}: the page's language`);
    check((await page.getAttribute('html', 'dir')) === (lang === 'ar' ? 'rtl' : 'ltr'), `${lang}: direction`);
    await audit(page, `home-${lang}`);
    await page.click(`a[href="${deskPath}"]`);
    await page.waitForURL(`**${deskPath}`);
    await audit(page, `desk-${lang}`);
    await page.locator('.accueil-slots a').first().click();
    await page.waitForSelector('form input[name="given_name"]');
    await audit(page, `form-${lang}`);

    // A typo in the phone: shown next to its field, what was typed kept.
    await page.fill('#given_name', 'Amina');
    await page.fill('#family_name', lang === 'ar' ? 'ديالو' : 'Diallo');
    await page.fill('#phone', '06 12 34');
    await page.fill('#email', `amina.${lang}@example.org`);
    await page.click('button[type="submit"]');
    await page.waitForSelector('#phone-error');
    check((await page.getAttribute('#phone', 'aria-invalid')) === 'true', `${lang}: the phone is marked invalid`);
    check((await page.inputValue('#family_name')) !== '', `${lang}: the name is kept`);
    await audit(page, `form-error-${lang}`);

    // Corrected, booked: the confirmation with the reference and the QR code.
    await page.fill('#phone', `06 12 34 56 7${['fr', 'en', 'ar'].indexOf(lang)}`);
    await page.click('button[type="submit"]');
    await page.waitForSelector('#reference');
    const reference = (await page.textContent('#reference')).trim();
    check(/^[A-Z0-9-]{6,}$/.test(reference), `${lang}: a reference (${reference})`);
    check(await page.locator('.accueil-qr svg').count() === 1, `${lang}: the QR code`);
    const code = (await page.textContent('#access-code')).trim();
    await audit(page, `confirmation-${lang}`);

    // "Add to my calendar": a download of the event.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('form[action="/rdv/calendrier"] button'),
    ]);
    check(download.suggestedFilename() === `rendez-vous-${reference.replace(/[^A-Z0-9]/g, '')}.ics`,
      `${lang}: the calendar file's name (${download.suggestedFilename()})`);
    const ics = readFileSync(await download.path(), 'utf8');
    check(ics.includes('BEGIN:VEVENT') && ics.includes('METHOD:PUBLISH'), `${lang}: an iCalendar event`);

    // The confirmation e-mail, from the SMTP server: its link carries the
    // reference and code in the fragment, posted by the page's script.
    const link = await linkInMail(`amina.${lang}@example.org`, `${base}/rdv#`);
    check(link.endsWith(`#${reference}-${code}`), `${lang}: the e-mail's link (${link})`);
    await page.goto(link);
    await page.waitForSelector('#status');
    check(!page.url().includes('#'), `${lang}: the fragment is cleared`);
    check((await page.textContent('#reference')).trim() === reference, `${lang}: the appointment shown`);
    await audit(page, `manage-${lang}`);

    // Moving: the days, a day's slots, then a slot: moved (reference unchanged).
    await page.click('form[action="/rdv/deplacer"] button');
    await page.waitForSelector('input[name="jour"]', { state: 'attached' });
    await page.locator('form[action="/rdv/deplacer"] button').first().click();
    await page.waitForSelector('input[name="creneau"]', { state: 'attached' });
    await audit(page, `move-${lang}`);
    await page.locator('.accueil-slots form button').first().click();
    await page.waitForSelector('[role="status"]');
    check((await page.textContent('#reference')).trim() === reference, `${lang}: moved, same reference`);
    await audit(page, `moved-${lang}`);

    await page.click('form[action="/rdv/annuler"] button');
    await page.waitForSelector('input[name="confirmed"]', { state: 'attached' });
    await audit(page, `cancel-${lang}`);
    await page.click('form[action="/rdv/annuler"] button');
    await page.waitForSelector('[role="status"]');
    await audit(page, `cancelled-${lang}`);

    // Lost access: the same answer whatever was typed.
    await page.goto(`${base}/acces`);
    await audit(page, `resend-${lang}`);
    await page.fill('#identifier', reference);
    await page.click('form[action="/acces"] button');
    await page.waitForSelector('[role="status"]');
    await audit(page, `resent-${lang}`);

    // The legal pages, from the footer.
    for (const legal of ['accessibilite', 'donnees-personnelles', 'mentions-legales']) {
      await page.click(`footer a[href="/${legal}"]`);
      await page.waitForURL(`**/${legal}`);
      await audit(page, `${legal}-${lang}`);
    }

    // The published indicators, from the footer, then the site's table.
    await page.click('footer a[href="/indicateurs"]');
    await page.waitForURL('**/indicateurs');
    await audit(page, `indicators-${lang}`);
    await page.click(`a[href="/indicateurs/${deskPath.split('/')[2]}"]`);
    await shown(page, '#indicator-calls_answered_rate');
    await audit(page, `indicators-site-${lang}`);

    // The lodge kiosk: linked with its device token, then a check-in and
    // the ticket.
    await page.goto(`${base}/borne`);
    await audit(page, `kiosk-pairing-${lang}`);
    await page.fill('#jeton', kioskToken);
    await page.click('form[action="/borne/appareil"] button');
    await shown(page, '#saisie');
    await audit(page, `kiosk-${lang}`);
    await page.fill('#saisie', kioskReference);
    await page.click('form[action="/borne"] button');
    await shown(page, '#ticket');
    await audit(page, `kiosk-ticket-${lang}`);

    // The pages the other messages' links open: without the fragment, a
    // form for the link's code (told when it is wrong); with it, the page.
    await page.goto(`${base}/confirmer`);
    await audit(page, `link-${lang}`);
    await page.fill('#lien', '12-34');
    await page.click('form[action="/confirmer"] button');
    await page.waitForSelector('.fr-alert--error');
    await audit(page, `link-wrong-${lang}`);

    // Attendance: the request, then "I will come".
    await page.goto(`${base}/confirmer#${attendanceLink}`);
    await shown(page, '#respond-by');
    check(!page.url().includes('#'), `${lang}: the fragment is cleared`);
    await audit(page, `attendance-${lang}`);
    await page.click('form[action="/confirmer"] button');
    await shown(page, '[role="status"]');
    await audit(page, `attendance-confirmed-${lang}`);
    // The survey: two answers and a comment, then the thanks.
    await page.goto(`${base}/enquete#${surveyLink}`);
    await shown(page, 'fieldset#overall');
    await audit(page, `survey-${lang}`);
    await page.click('label[for="overall-4"]');
    await page.click('label[for="courtesy-3"]');
    await page.fill('#comment', lang === 'ar' ? 'شكرًا' : 'Merci');
    await page.click('form[action="/enquete"] button');
    await shown(page, '#message');
    await audit(page, `survey-sent-${lang}`);
    // The opt-out: the e-mails stopped in French, resumed in English,
    // stopped again in Arabic.
    await page.goto(`${base}/preferences#${preferencesLink}`);
    await shown(page, '#stop_email', { state: 'attached' });
    await audit(page, `preferences-${lang}`);
    const stop = lang !== 'en';
    check(await page.isChecked('#stop_email') !== stop, `${lang}: the e-mails' box as last saved`);
    await page.click('label[for="stop_email"]');
    await page.click('form[action="/preferences"] button');
    await shown(page, '[role="status"]');
    check(await page.isChecked('#stop_email') === stop, `${lang}: the choice saved`);
    await audit(page, `preferences-saved-${lang}`);
    await context.close();
  }

  // A full slot, answered clearly: two people fill the form for the same
  // slot (one place); the second to send is told and offered the others.
  // The first uses the keyboard only: the skip link comes first, then Tab
  // reaches the slot, each field in order and the button.
  const people = [];
  for (const phone of ['06 12 34 56 80', '06 12 34 56 81']) {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}${deskPath}?lang=fr`);
    if (people.length === 0) {
      await page.keyboard.press('Tab');
      check(await page.evaluate(() => document.activeElement?.getAttribute('href')) === '#contenu',
        'the skip link is the first stop of the keyboard');
      await tabTo(page, '.accueil-slots a');
      await page.keyboard.press('Enter');
      await shown(page, '#given_name');
      for (const [field, text] of [['#given_name', 'Léa'], ['#family_name', 'Martin'], ['#phone', phone]]) {
        await tabTo(page, field);
        await page.keyboard.type(text);
      }
    } else {
      await page.locator('.accueil-slots a').first().click();
      await shown(page, '#given_name');
      await page.fill('#given_name', 'Léa');
      await page.fill('#family_name', 'Martin');
      await page.fill('#phone', phone);
    }
    people.push({ context, page });
  }
  await tabTo(people[0].page, 'form button[type="submit"]');
  await people[0].page.keyboard.press('Enter');
  await people[0].page.waitForSelector('#reference');
  await people[1].page.click('button[type="submit"]');
  await people[1].page.waitForSelector('.fr-alert--error');
  check((await people[1].page.textContent('.fr-alert--error')).includes('vient d\'être réservé'),
    'the second person is told the slot was just taken');
  check(await people[1].page.locator('a', { hasText: 'Choisir un autre créneau' }).count() === 1,
    'and offered the other slots');
  await audit(people[1].page, 'slot-taken-fr');
  for (const { context } of people) await context.close();
});
