// The quote page against the store's live REST API, in real Chromium: the page loads the store's current plan
// (GET /plan/, across origins: CORS) and must quote, line by line, exactly what the server's /quotes/ answers.
// The test starts the API itself — gunicorn on 127.0.0.1 with a fresh store and a staff token, through
// examples/django-api/tools/live_api.py, stopped in after() — and publishes a plan that is no preset.
// It needs the Django venv that scripts/test builds (target/django-venv; KOKO_DJANGO_PYTHON overrides it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { root } from './koko.mjs';
import { openPage, serveRepository } from './quote_page.mjs';

const PYTHON = process.env.KOKO_DJANGO_PYTHON ?? path.join(root, 'target/django-venv/bin/python');
const API_START_MS = 120_000;
const skip = existsSync(PYTHON) ? false : `no Django venv at ${PYTHON} (scripts/test builds it)`;

// Not a preset: graduated regular tiers with a flat fee and a cap, a fiction minimum, a novel tier at day 4.
const PLAN = {
  name: 'spring test plan',
  currency: 'USD',
  rounding: 'half_up',
  day_count: { policy: 'started_days' },
  categories: {
    regular: { tiers: [{ from_day: 1, rate: '0.85' }, { from_day: 3, rate: '1.35' }], flat_fee: '0.40', cap: '9.00' },
    fiction: { tiers: [{ from_day: 1, rate: '2.10' }], minimum: '5.00' },
    novel: { tiers: [{ from_day: 1, rate: '1.15' }, { from_day: 4, rate: '0.70' }] },
  },
};
const BOOK_TYPE = { regular: 'R', fiction: 'F', novel: 'N' };

let api;
let staticServer;
let context;
let page;
let baseUrl;

// live_api.py runs this command while the API is up: it prints the URL and token, then waits for stdin to close.
const HOLD_OPEN = 'import sys; print("{url} {token}", flush=True); sys.stdin.read()';

function startApi(corsOrigin) {
  api = spawn(PYTHON, ['tools/live_api.py', '--timeout', '600', `KOKO_API_CORS_ORIGINS=${corsOrigin}`, '--',
    PYTHON, '-c', HOLD_OPEN], { cwd: path.join(root, 'examples/django-api'), stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the API did not start in time')), API_START_MS);
    api.on('exit', (code) => reject(new Error(`live_api.py exited with ${code}`)));
    createInterface({ input: api.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const [url, token] = line.trim().split(' ');
      resolve({ url, token });
    });
  });
}

async function call(method, url, token, body) {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Token ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, data: await response.json() };
}

before(async () => {
  if (skip) return;
  let origin;
  ({ origin, server: staticServer } = await serveRepository());
  const live = await startApi(origin);
  baseUrl = live.url;
  const published = await call('POST', `${baseUrl}/plans/`, live.token,
    { effective_from: new Date().toISOString(), plan: PLAN });
  assert.equal(published.status, 201, JSON.stringify(published.data));
  await sleep(50); // the version is in force from its effective_from on
  ({ context, page } = await openPage(`${origin}/examples/web-quote/index.html?api=${encodeURIComponent(baseUrl)}`));
});

after(async () => {
  await context?.close();
  staticServer?.kill();
  if (api && api.exitCode === null) {
    api.stdin.end(); // the held command ends, live_api.py stops gunicorn
    await new Promise((resolve) => {
      const timer = setTimeout(() => { api.kill(); resolve(); }, 30_000);
      api.on('exit', () => { clearTimeout(timer); resolve(); });
    });
  }
});

test('the page loads the store\'s published plan from the API', { skip }, async () => {
  assert.equal(await page.inputValue('#plan'), 'store');
  assert.match(await page.textContent('#plan option[value="store"]'), /spring test plan/);
  const served = await call('GET', `${baseUrl}/plan/`);
  assert.equal(served.data.name, 'spring test plan');
});

// Tomorrow and later, so the published version (in force from now) prices both sides.
function day(offset, hour) {
  const d = new Date();
  d.setUTCHours(hour, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + offset);
  return d;
}
const CASES = [
  ['regular', day(1, 10), day(4, 15)],
  ['regular', day(1, 10), day(20, 9)],
  ['fiction', day(2, 8), day(3, 7)],
  ['novel', day(1, 9), day(6, 12)],
];

for (const [category, rentedAt, returnedAt] of CASES) {
  test(`the browser quotes what the server answers: ${category}, ${rentedAt.toISOString()} → ${returnedAt.toISOString()}`,
    { skip }, async () => {
      await page.selectOption('#plan', 'store');
      await page.selectOption('#category', category);
      await page.fill('#rented-at', rentedAt.toISOString().slice(0, 16));
      await page.fill('#returned-at', returnedAt.toISOString().slice(0, 16));
      await page.press('#returned-at', 'Enter');
      await page.waitForSelector('#result:not([hidden])');
      const shown = await page.textContent('#total');
      const lines = await page.$$eval('#lines tbody tr', (rows) =>
        rows.map((r) => ({ description: r.cells[0].textContent, amount: r.cells[1].textContent })));
      const query = new URLSearchParams({ book_type: BOOK_TYPE[category], rented_at: rentedAt.toISOString(),
        returned_at: returnedAt.toISOString() });
      const server = await call('GET', `${baseUrl}/quotes/?${query}`);
      assert.equal(server.status, 200, JSON.stringify(server.data));
      assert.equal(shown, `${server.data.total} ${server.data.currency}`);
      assert.deepEqual(lines, server.data.lines);
    });
}
