// The public pages in a real browser (book, then find the appointment from
// the messages' link, move it and cancel it): Debian's Chromium driven by
// playwright-core, checked by axe-core (WCAG 2.1 AA), against a running
// gateway. Run by tests/gateway/browser_test.cc, which starts the server
// with a desk open on 2026-06-02 and passes:
//
//   node tests/web/journey.mjs BASE_URL DESK_PATH SCREENSHOT_DIR
//
// with NODE_PATH at build/web/node_modules. Exits 1 on the first failed
// check, printing it; every page of the journey is checked by axe in every
// language, and photographed at phone (360 px) and desktop (1280 px) widths.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const { AxeBuilder } = require('@axe-core/playwright');

const [base, deskPath, shots] = process.argv.slice(2);
if (!base || !deskPath || !shots) {
  console.error('usage: node journey.mjs BASE_URL DESK_PATH SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
let failed = false;
const seen = [];

// audit: axe (WCAG 2.1 A and AA) on the page as it is, and two screenshots.
async function audit(page, name) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  for (const v of result.violations) {
    failed = true;
    console.error(`axe: ${name}: ${v.id} (${v.impact}): ${v.help}`);
    for (const node of v.nodes.slice(0, 3)) console.error(`  ${node.target.join(' ')}: ${node.failureSummary}`);
  }
  for (const [label, width] of [['phone', 360], ['desktop', 1280]]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: path.join(shots, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 360, height: 800 });
  seen.push(name);
}

try {
  for (const lang of ['fr', 'en', 'ar']) {
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

    // The link in the messages: the reference and code in the fragment,
    // posted by the page's script; then cancelling, confirmed by a second POST.
    await page.goto(`${base}/rdv#${reference}-${code}`);
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
    await context.close();
  }

  // A full slot, answered clearly: two people fill the form for the same
  // slot (one place); the second to send is told and offered the others.
  const people = [];
  for (const phone of ['06 12 34 56 80', '06 12 34 56 81']) {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}${deskPath}?lang=fr`);
    await page.locator('.accueil-slots a').first().click();
    await page.waitForSelector('#given_name');
    await page.fill('#given_name', 'Léa');
    await page.fill('#family_name', 'Martin');
    await page.fill('#phone', phone);
    people.push({ context, page });
  }
  await people[0].page.click('button[type="submit"]');
  await people[0].page.waitForSelector('#reference');
  await people[1].page.click('button[type="submit"]');
  await people[1].page.waitForSelector('.fr-alert--error');
  check((await people[1].page.textContent('.fr-alert--error')).includes('vient d\'être réservé'),
    'the second person is told the slot was just taken');
  check(await people[1].page.locator('a', { hasText: 'Choisir un autre créneau' }).count() === 1,
    'and offered the other slots');
  await audit(people[1].page, 'slot-taken-fr');
  for (const { context } of people) await context.close();
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
console.log(`pages checked: ${seen.length} (${seen.join(', ')})`);
process.exit(failed ? 1 : 0);
