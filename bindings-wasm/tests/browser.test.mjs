// The quote page in real Chromium (Debian's, headless): values typed into the form must show the totals and lines
// of the golden vectors, the price curve must match the engine, and a bad return date must show an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { koko, root, vectorCases } from './koko.mjs';
import { openPage, serveRepository } from './quote_page.mjs';

const SCREENSHOT = path.join(root, 'target/koko-wasm/web-quote.png');
let server;
let context;
let page;

// One story-3 case per category from the vectors, with times a datetime-local input can hold (whole seconds).
function casesPerCategory() {
  const enterable = (t) => typeof t === 'string' && new Date(t).toISOString().endsWith('.000Z');
  const chosen = new Map();
  for (const c of vectorCases()) {
    if (c.plan === 'story3' && c.expect && enterable(c.rented_at) && enterable(c.returned_at) && c.expect.days > 1
        && !chosen.has(c.category)) {
      chosen.set(c.category, c);
    }
  }
  return [...chosen.values()];
}

before(async () => {
  let origin;
  ({ origin, server } = await serveRepository());
  ({ context, page } = await openPage(`${origin}/examples/web-quote/index.html`));
});

after(async () => {
  await context?.close();
  server?.kill();
});

// The browser runs in UTC, so a vector's instant is typed as its UTC wall-clock time.
const typed = (instant) => new Date(instant).toISOString().slice(0, 19);

async function enter(category, rentedAt, returnedAt) {
  await page.selectOption('#plan', 'story3');
  await page.selectOption('#category', category);
  await page.fill('#rented-at', rentedAt);
  await page.fill('#returned-at', returnedAt);
  await page.press('#returned-at', 'Enter'); // keyboard submit
}

const cases = casesPerCategory();

test('one golden case per category was found', () => {
  assert.deepEqual(cases.map((c) => c.category).sort(), ['fiction', 'novel', 'regular']);
});

for (const c of cases) {
  test(`the page shows the golden quote: ${c.name}`, async () => {
    await enter(c.category, typed(c.rented_at), typed(c.returned_at));
    await page.waitForSelector('#result:not([hidden])');
    assert.equal(await page.isHidden('#error'), true);
    assert.equal(await page.textContent('#total'), `${c.expect.total} ${c.expect.currency}`);
    const lines = await page.$$eval('#lines tbody tr', (rows) =>
      rows.map((r) => ({ description: r.cells[0].textContent, amount: r.cells[1].textContent })));
    assert.deepEqual(lines, c.expect.lines);
    const curve = await page.$$eval('#curve tbody tr td.amount', (cells) => cells.map((td) => td.textContent));
    assert.deepEqual(curve, koko.PricePlan.story3().priceCurve(c.category, 14));
  });
}

test('a return before the rental shows an error, not a price', async () => {
  await enter('regular', '2024-06-05T10:00', '2024-06-01T10:00');
  await page.waitForSelector('#error:not([hidden])');
  assert.equal(await page.getAttribute('#error', 'role'), 'alert');
  assert.equal(await page.textContent('#error'), 'The return must be after the rental start.');
  assert.equal(await page.isHidden('#result'), true);
});

test('an empty date shows an error', async () => {
  await page.fill('#rented-at', '');
  await page.press('#returned-at', 'Enter');
  assert.equal(await page.textContent('#error'), 'Please enter the rental start.');
});

test('every control has a label and the screenshot is saved', async () => {
  const unlabelled = await page.$$eval('input, select', (els) => els.filter((el) => !el.labels || el.labels.length === 0).length);
  assert.equal(unlabelled, 0);
  const novel = cases.find((c) => c.category === 'novel') ?? cases[0];
  await enter(novel.category, typed(novel.rented_at), typed(novel.returned_at));
  await page.waitForSelector('#result:not([hidden])');
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});
