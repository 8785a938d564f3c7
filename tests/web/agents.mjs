// The agents' pages and the call display in a real browser, one journey
// across roles against a running gateway whose agents sign in through the
// development issuer: a person books on the public page; the lodge agent
// signs in, finds them with a forgiving search and checks them in; a
// counter agent signs in, opens a counter and calls them, and the
// waiting-room display (linked with its device token) shows the call live,
// and so does the lodge's queue;
// the counter receives and finishes; the quality officer's page counts the
// visit; the lodge books for a person without internet; the administrator
// reads a desk's page and closes the day (the person booked later that day
// is told: the test checks the mail), then shows a person what is kept of
// them; an administrator of every site opens the new site form; a page of
// another role is refused by the server. Every page is checked by axe (WCAG 2.1 AA) and photographed.
// Run by tests/gateway/browser_test.cc, which starts the server with a desk
// open today, a counter and another person booked today, and passes:
//
//   node tests/web/agents.mjs BASE_URL DESK_PATH SCREENSHOT_DIR SITE DISPLAY_TOKEN
//
// SITE is "sites/N"; DISPLAY_TOKEN a device token of that site. NODE_PATH
// at build/web/node_modules. Exits 1 on the first failed check.
import { check, run, shown } from './browser.mjs';

const [base, deskPath, shots, site, displayToken] = process.argv.slice(2);
if (!displayToken) {
  console.error('usage: node agents.mjs BASE_URL DESK_PATH SCREENSHOT_DIR SITE DISPLAY_TOKEN');
  process.exit(2);
}
const siteId = site.split('/')[1];
// signIn: the agent answers the identity provider's form (the development
// issuer's) and comes back to the page they asked for.
async function signIn(page, subject, role, on = site) {
  await shown(page, '#sign-in');
  await page.click('#sign-in');
  await shown(page, '#subject');
  await page.fill('#subject', subject);
  await page.selectOption('#role', role);
  await page.fill('#site', on);
  await page.click('button[value="allow"]');
  await shown(page, '#agent-subject');
  check((await page.textContent('#agent-subject')).trim() === subject, `${subject} is signed in`);
}

await run(shots, async (browser, audit) => {
  // A person books the desk's first slot today.
  const person = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: 'fr-FR' });
  const booking = await person.newPage();
  await booking.goto(`${base}${deskPath}?lang=fr`);
  await booking.locator('.accueil-slots a').first().click();
  await shown(booking, '#given_name');
  await booking.fill('#given_name', 'Élodie');
  await booking.fill('#family_name', 'Lefèvre');
  await booking.fill('#phone', '06 12 34 56 99');
  await booking.click('button[type="submit"]');
  await shown(booking, '#reference');
  const reference = (await booking.textContent('#reference')).trim();
  await person.close();

  // The waiting-room display, linked once with its device token.
  const screen = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'fr-FR' });
  const display = await screen.newPage();
  await display.goto(`${base}/ecran`);
  await shown(display, '#jeton');
  await audit(display, 'display-pairing');
  await display.fill('#jeton', displayToken);
  await display.click('button[type="submit"]');
  await shown(display, '#calls', { state: 'attached' });
  await display.waitForFunction(() => document.getElementById('display-state').textContent === 'En direct');
  await audit(display, 'display');

  // The lodge agent: signed out, the sign-in page; through the provider,
  // their pages; the lodge.
  const lodgeContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const lodge = await lodgeContext.newPage();
  await lodge.goto(`${base}/agent`);
  await audit(lodge, 'agent-sign-in');
  await signIn(lodge, 'agent.loge', 'LODGE_AGENT');
  await audit(lodge, 'agent-home');
  await lodge.click(`a[href="/agent/loge/${siteId}"]`);
  await shown(lodge, '#checkin-form');
  // The camera is offered only where the browser reads QR codes itself
  // (BarcodeDetector: not Chromium on Linux): here, nothing shows.
  const reads = await lodge.evaluate(() => 'BarcodeDetector' in window);
  check(reads || await lodge.locator('#camera-row').isHidden(), 'no camera button without a QR reader');
  await audit(lodge, 'lodge');
  // The forgiving search: the name without its accents, in lower case.
  await lodge.fill('#q', 'lefevre');
  await lodge.click('#recherche button');
  await shown(lodge, `#day-list td:text("${reference}")`);
  check(await lodge.locator('#day-list tbody tr').count() === 1, 'the search finds the one person');
  await lodge.click(`button[aria-label="Enregistrer l'arrivée de ${reference}"]`);
  await shown(lodge, '#ticket');
  const ticket = (await lodge.textContent('#ticket')).trim();
  check(/^[A-Z]{1,2}-\d+$/.test(ticket), `a ticket (${ticket})`);
  await audit(lodge, 'lodge-checked-in');
  // The counter pages are not the lodge agent's: refused by the server.
  const refused = await lodge.goto(`${base}/agent/guichet/${siteId}`);
  check(refused.status() === 403, `the counter page is refused to the lodge (${refused.status()})`);
  await audit(lodge, 'agent-refused');
  // Someone at the lodge without internet: the agent books for them (a
  // phone only, so the day's closure later reaches them by SMS, not mail).
  await lodge.goto(`${base}/agent/rdv/${siteId}`);
  await shown(lodge, '#desk-choice');
  await audit(lodge, 'agent-booking');
  await lodge.click('#desk-choice button');
  await shown(lodge, '#days a');
  await lodge.locator('#days a').first().click();
  await shown(lodge, '#booking-form');
  await lodge.locator('#booking-form .fr-radio-group label').first().click();
  await lodge.fill('#prenom', 'Karim');
  await lodge.fill('#nom', 'Haddad');
  await lodge.fill('#telephone', '06 12 34 56 98');
  await lodge.fill('#motif', 'Personne à la loge, sans accès à internet');
  await audit(lodge, 'agent-booking-form');
  await lodge.click('#booking-form button[type="submit"]');
  await shown(lodge, '#booked-reference');
  check(/^[A-Z0-9-]+$/.test((await lodge.textContent('#booked-reference')).trim()), 'the reference to give');
  await audit(lodge, 'agent-booked');

  // The counter agent comes straight to the counters: signed in on the way.
  const counterContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const counter = await counterContext.newPage();
  await counter.goto(`${base}/agent/guichet/${siteId}`);
  await audit(counter, 'agent-sign-in-counters');
  await signIn(counter, 'agent.guichet', 'COUNTER_AGENT');
  check(new URL(counter.url()).pathname === `/agent/guichet/${siteId}`, 'back at the counters');
  await audit(counter, 'counters');
  await counter.locator('.fr-tile a').first().click();
  await shown(counter, '#open-form');
  await audit(counter, 'counter-closed');
  await counter.click('#open-form button');
  await shown(counter, '#call-form');
  await audit(counter, 'counter-open');
  // The lodge keeps its page open: its queue follows the counter's call
  // without a reload.
  const lodgeQueue = await lodgeContext.newPage();
  await lodgeQueue.goto(`${base}/agent/loge/${siteId}`);
  await shown(lodgeQueue, '#queue');
  await counter.click('#call-form button');
  await shown(counter, '#current-ticket');
  check((await counter.textContent('#current-ticket')).trim() === ticket, 'the counter calls the ticket');
  await audit(counter, 'counter-called');

  // The display shows the call, live.
  await display.waitForFunction((t) => {
    const first = document.querySelector('#calls li .accueil-display__ticket');
    return first && first.textContent === t;
  }, ticket, { timeout: 10000 });
  check((await display.textContent('#calls li')).includes('Guichet'), 'the display names the counter');
  await audit(display, 'display-call');
  await lodgeQueue.waitForFunction((t) => {
    const row = [...document.querySelectorAll('#queue tbody tr')].find((r) => r.textContent.includes(t));
    return row && row.textContent.includes('Appelée');
  }, ticket, { timeout: 25000 });  // refreshed every 10 s
  check(true, 'the lodge sees the call in its queue, live');

  // The person comes; the visit ends, served.
  await counter.click('#start');
  await shown(counter, '#finish-form');
  await counter.click('label[for="issue-servi"]');
  await counter.click('#finish-form button[type="submit"]');
  await shown(counter, '#done');
  await shown(counter, '#call-form');
  await audit(counter, 'counter-finished');

  // Signing out ends the session.
  await counter.click('form[action="/agent/deconnexion"] button');
  await shown(counter, '#sign-in');

  // The quality officer: the visit counted among the people received this
  // month (as soon as the metrics consumer applied it).
  const qualityContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const quality = await qualityContext.newPage();
  await quality.goto(`${base}/agent`);
  await signIn(quality, 'responsable.qualite', 'QUALITY_OFFICER');
  await quality.click(`a[href="/agent/qualite/${siteId}"]`);
  await shown(quality, '#indicators');
  const received = quality.locator('#row-received_total td').last();
  for (let i = 0; i < 40 && !/^1\b/.test((await received.textContent()).trim()); i++) {
    await quality.waitForTimeout(500);
    await quality.reload();
  }
  check(/^1\b/.test((await received.textContent()).trim()),
    `the quality page counts the visit (${(await received.textContent()).trim()})`);
  await audit(quality, 'quality');

  // The administrator closes today: the person booked later is told.
  const adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const admin = await adminContext.newPage();
  await admin.goto(`${base}/agent`);
  await signIn(admin, 'administrateur', 'ADMINISTRATOR');
  await admin.click(`a[href="/agent/admin/${siteId}"]`);
  await shown(admin, '#desk-form');
  await audit(admin, 'admin');
  await admin.locator('#desks a').first().click();
  await shown(admin, '#close-form');
  await audit(admin, 'admin-desk');
  await admin.fill('#close-day', '2026-06-02');
  await admin.fill('#close-reason', 'Mouvement social');
  await admin.click('#close-form button[type="submit"]');
  await shown(admin, '#done');
  check((await admin.textContent('#done')).includes('prévenues'), 'the administrator is told the people are');
  await audit(admin, 'admin-closed');
  // The person's rights: what is kept of Élodie Lefèvre, with the reason.
  await admin.goto(`${base}/agent/personne/${siteId}`);
  await shown(admin, '#person-form');
  await audit(admin, 'person-rights');
  await admin.fill('#personne', '06 12 34 56 99');
  await admin.fill('#motif', "Demande d'accès reçue à l'accueil");
  await admin.click('button[value="voir"]');
  await shown(admin, '#person-appointments');
  check((await admin.textContent('#person-appointments')).includes(reference), 'her appointment is shown');
  await audit(admin, 'person-rights-shown');
  // An administrator of every site may create one.
  const nationalContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const national = await nationalContext.newPage();
  await national.goto(`${base}/agent`);
  await signIn(national, 'administrateur.national', 'ADMINISTRATOR', '');
  await national.click('#new-site');
  await shown(national, '#site-form');
  await audit(national, 'admin-new-site');
  await nationalContext.close();
  for (const c of [screen, lodgeContext, counterContext, qualityContext, adminContext]) await c.close();
});
