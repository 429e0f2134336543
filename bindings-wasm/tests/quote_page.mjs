// What the browser tests of the quote page share: the repository served on 127.0.0.1, and headless Chromium
// (Debian's) opening the page and waiting until it is ready.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { root } from './koko.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// `directory` on a static server: { origin, server } once `probe` (a path) answers; kill `server` when done.
export async function serveDirectory(directory, probe) {
  const port = await freePort();
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', directory], {
    stdio: 'ignore',
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${origin}${probe}`)).ok) break;
    } catch {
      if (i > 100) throw new Error('the static server did not start');
    }
    await sleep(100);
  }
  return { origin, server };
}

// The repository on a static server, once the quote page answers.
export function serveRepository() {
  return serveDirectory(root, '/examples/web-quote/index.html');
}

// Chromium on `url`, in UTC, once the page says it is ready and threw nothing: { context, page }.
export async function openPage(url) {
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'koko-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    timezoneId: 'UTC',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  assert.deepEqual(errors, []);
  return { context, page };
}
