// What the browser journeys share (journey.mjs: the public pages;
// agents.mjs: the agents' pages and the call display): Debian's Chromium
// through playwright-core, checks that say what the page showed instead,
// keyboard moves, and the audit of each page: axe-core (WCAG 2.1 A and AA)
// and screenshots at phone (360 px) and desktop (1280 px) widths.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const { AxeBuilder } = require('@axe-core/playwright');

export function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

// shown: waits for `selector` on `page`; on a time-out, says what the page
// shows instead (its heading and alerts), which is what a failure needs.
export async function shown(page, selector, options = {}) {
  try {
    await page.waitForSelector(selector, { timeout: 15000, ...options });
  } catch (e) {
    const said = await page.locator('h1, .fr-alert').allTextContents();
    throw new Error(`${page.url()}: no ${selector}; the page says: ${said.join(' | ').replace(/\s+/g, ' ')}`);
  }
}

// tabTo: presses Tab until the focused element matches `selector`, as a
// keyboard user moves through the page; fails when it is never reached.
export async function tabTo(page, selector, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${page.url()}: ${selector} is not reached with the Tab key`);
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// Auditor: audits pages into `shots`, remembering which and whether any
// failed.
export class Auditor {
  constructor(shots) {
    this.shots = shots;
    this.failed = false;
    this.seen = [];
    mkdirSync(shots, { recursive: true });
  }

  // audit: axe on the page as it is, and two screenshots.
  async audit(page, name) {
    const result = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    for (const v of result.violations) {
      this.failed = true;
      console.error(`axe: ${name}: ${v.id} (${v.impact}): ${v.help}`);
      for (const node of v.nodes.slice(0, 3)) console.error(`  ${node.target.join(' ')}: ${node.failureSummary}`);
    }
    for (const [label, width] of [['phone', 360], ['desktop', 1280]]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: path.join(this.shots, `${name}-${label}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 360, height: 800 });
    this.seen.push(name);
  }

  // finish: prints what was checked and exits (1 if anything failed).
  finish() {
    console.log(`pages checked: ${this.seen.length} (${this.seen.join(', ')})`);
    process.exit(this.failed ? 1 : 0);
  }
}

// run: a journey. `body(browser, audit)` drives the browser and audits the
// pages; the first error stops it and is printed; the browser is closed and
// the process exits with the verdict.
export async function run(shots, body) {
  const browser = await launch();
  const auditor = new Auditor(shots);
  try {
    await body(browser, (page, name) => auditor.audit(page, name));
  } catch (e) {
    auditor.failed = true;
    console.error(e.stack || String(e));
  } finally {
    await browser.close();
  }
  auditor.finish();
}
