// A real browser on a preview through the berth server: Chromium resolves *.localhost to loopback,
// follows the ticket link, keeps the HttpOnly cookie for the preview host, and Vite's hot reload
// runs over the proxied WebSocket. Needs /usr/bin/chromium (setup --for-tests) and berth-test/node:1.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { makeRepo, testCore } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import { chromium } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';

const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

describe('a preview in a real browser', () => {
  it('opens through a ticket link on its own origin and hot-reloads an edit made in the session', async () => {
    expect(
      existsSync(CHROMIUM),
      `no Chromium at ${CHROMIUM}: run \`node scripts/setup.mjs --for-tests\``,
    ).toBe(true);
    const core = await testCore({ defaultImage: 'berth-test/node:1' });
    const t = await testServer(core);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const repo = makeRepo({
      'package.json': JSON.stringify({
        name: 'demo',
        private: true,
        type: 'module',
        devDependencies: { vite: '^5.4.0' },
      }),
      '.gitignore': 'node_modules/\n',
      'index.html':
        '<!doctype html><html><body><h1>loading</h1><script type="module" src="/main.js"></script></body></html>\n',
      'main.js': "document.querySelector('h1').textContent = 'version one';\n",
    });
    await core.service.create({ name: 'browser', repo, preview: true });
    const ticket = await t.inject({
      method: 'POST',
      url: '/api/v1/sessions/browser/preview/ticket',
      headers: { host: `127.0.0.1:${port}` },
    });
    expect(ticket.statusCode, ticket.body).toBe(200);
    const { url, origin } = ticket.json() as { url: string; origin: string };
    expect(origin).toBe(`http://browser.preview.localhost:${port}/`);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    onTestFinished(() => browser.close());
    const context = await browser.newContext();
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto(url);
    expect(page.url()).toBe(origin);
    await page.waitForFunction(`document.querySelector('h1')?.textContent === 'version one'`);
    // The grant is HttpOnly: the preview's own scripts cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('berth_');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'berth_preview')).toMatchObject({
      domain: 'browser.preview.localhost',
      httpOnly: true,
      sameSite: 'Lax',
    });

    const edit = await core.service.exec('browser', [
      'sh',
      '-c',
      "echo \"document.querySelector('h1').textContent = 'version two';\" > main.js",
    ]);
    expect(edit.exitCode).toBe(0);
    await page.waitForFunction(`document.querySelector('h1')?.textContent === 'version two'`);
  }, 180_000);
});
