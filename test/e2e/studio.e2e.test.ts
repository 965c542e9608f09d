// The studio in a real browser: web mode on a temporary database, driven by headless Chromium.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium, Browser, Page } from 'playwright-core';

import { rendererDir } from '../../main/cli/studio.js';
import { Store } from '../../main/core/db/store.js';
import { studioService } from '../../main/core/studio/service.js';
import { startWebServer, WebServer } from '../../main/server/web-server.js';
import { artifactsDir, sharedPath, skipNoShared } from '../helpers/shared.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} not found (apt-get install chromium): browser tests skipped` : skipNoShared;

describe('studio in the browser (web mode)', { skip }, () => {
  let server: WebServer;
  let store: Store;
  let browser: Browser;
  let page: Page;
  const shots = skip ? '' : artifactsDir('e2e');

  before(async () => {
    store = new Store(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-e2e-')), 'studio.db'));
    server = await startWebServer({ api: studioService(store), rendererDir: rendererDir() });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    store?.close();
  });

  it('creates, renames and lists a project', async () => {
    await page.goto(server.url);
    assert.ok(!page.url().includes('token='), 'the token leaves the address bar');
    await page.getByLabel('New project').fill('stories260K at 4 bits');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'stories260K at 4 bits' }).waitFor();
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Project name').fill('stories260K Q4');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'stories260K Q4' }).waitFor();
    assert.deepEqual(store.projects().map((p) => p.name), ['stories260K Q4']);
    await page.screenshot({ path: path.join(shots, 'projects.png') });
  });

  it('imports a model and shows its tensors with units', async () => {
    await page.getByRole('button', { name: 'Model', exact: true }).click();
    await page.getByLabel('Model path').fill(sharedPath('models', 'stories260K.gguf'));
    await page.getByRole('button', { name: 'Import' }).click();
    const row = page.locator('[data-testid=tensors] tr', { hasText: 'token_embd.weight' });
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /\[64 × 512\]/);
    assert.match(text, /F32/);
    assert.match(text, /128\.0 KiB/);
    assert.match(await page.getByTestId('total-bytes').innerText(), /MiB · 32\.000 bpw/);
    await page.screenshot({ path: path.join(shots, 'model.png'), fullPage: false });
  });

  it('shows a clear error for a bad path, and a visible focus ring when tabbing', async () => {
    await page.getByLabel('Model path').fill('/no/such/model.gguf');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /no such file or folder/);
    await page.getByLabel('Model path').focus();
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.equal(outline, 'solid');
  });

  it('switches between light and dark themes', async () => {
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.getByRole('button', { name: /Switch to/ }).click();
    const after = await page.evaluate(() => document.documentElement.dataset.theme);
    assert.notEqual(before, after);
    await page.screenshot({ path: path.join(shots, `model-${after}.png`) });
  });
});
