// The studio as a user meets it (issue #20): the navigation stays in view at common window sizes
// and nothing overflows sideways, buttons wait for their request, forms remember what was typed,
// every view leads to the next step or says what is missing, numbers explain themselves, the plan
// budget stays within the plans that exist, the chart follows the theme, a stopped server is
// explained, and the page loads without a 404.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium, Browser, Page } from 'playwright-core';

import { rendererDir } from '../../main/cli/studio.js';
import { Store } from '../../main/core/db/store.js';
import { studioService, type StudioService } from '../../main/core/studio/service.js';
import { startWebServer, WebServer } from '../../main/server/web-server.js';
import { artifactsDir, sharedPath, skipNoShared } from '../helpers/shared.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} not found (apt-get install chromium): browser tests skipped` : skipNoShared;
const VIEWS = ['Projects', 'Model', 'Calibration', 'Sensitivity', 'Plan', 'Run', 'Results', 'Export'];
const SIZES = [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }];
// a name with a long unbroken part, as file-name-like project names are
const LONG_NAME = 'stories260K-Q4_K_M-gptq-act-order-qep-calibrated-on-tinystories-validation-first-half-for-the-laptop';

describe('studio flow and layout in the browser (web mode)', { skip }, () => {
  let server: WebServer;
  let store: Store;
  let service: StudioService;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const problems: string[] = [];
  const shots = skip ? '' : artifactsDir('e2e', 'flow');
  const text = sharedPath('data', 'tinystories_val.txt');
  const model = sharedPath('models', 'stories260K.gguf');
  const nav = (name: string) => page.locator('nav').getByRole('button', { name, exact: true }).click();
  const projectId = () => store.projects()[0].id;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-e2e-flow-'));
    store = new Store(path.join(dir, 'studio.db'));
    service = studioService(store);
    server = await startWebServer({ api: service, rendererDir: process.env.LOWBIT_E2E_RENDERER ?? rendererDir() });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: SIZES[0] });
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    store?.close();
  });

  it('loads with an icon and without a 404 or console error', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await page.waitForLoadState('networkidle');
    const icon = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel=icon]')?.href ?? '');
    assert.ok(icon, 'the page names its icon');
    const res = await page.request.get(icon);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^image\//);
    assert.deepEqual(problems, []);
  });

  it('creates one project on a double-click, and a long name keeps the navigation in place', async () => {
    await page.getByLabel('New project').fill(LONG_NAME);
    await page.getByRole('button', { name: 'Create' }).dblclick();
    await page.getByRole('button', { name: LONG_NAME }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(store.projects().length, 1, 'one project, not two');
    assert.equal(await page.getByRole('button', { name: LONG_NAME }).count(), 1);
  });

  it('says what is missing on each view and leads to the next step', async () => {
    const missing = () => page.getByTestId('missing').innerText();
    await nav('Calibration');
    assert.match(await missing(), /Import a model first/);
    await nav('Plan');
    assert.match(await missing(), /Measure sensitivity first/);
    await nav('Results');
    assert.match(await missing(), /Quantize first/);
    await nav('Export');
    assert.match(await missing(), /Quantize first/);
    await nav('Projects');
    await page.getByRole('button', { name: 'Next: import a model' }).click();
    await page.getByRole('heading', { name: 'Model' }).waitFor();
    await page.getByLabel('Model path').fill(model);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('total-bytes').waitFor();
    await nav('Sensitivity');
    assert.match(await missing(), /Calibrate first/);
    assert.ok(await page.getByRole('button', { name: 'Measure' }).isDisabled());
    await nav('Run');
    await page.getByLabel('Method').selectOption('gptq');
    assert.match(await missing(), /Calibrate first: GPTQ needs a calibration text set/);
    assert.ok(await page.getByRole('button', { name: 'Quantize', exact: true }).isDisabled());
    await page.getByRole('button', { name: 'Go to Calibration' }).click();
    await page.getByRole('heading', { name: 'Calibration' }).waitFor();
  });

  it('starts one job on a double-click and remembers the calibration form', async () => {
    await page.locator('#calib-paths').fill(`${text}@0:200000`);
    await page.getByLabel('Sequences').fill('8');
    await page.getByLabel('Length (tokens)').fill('64');
    await nav('Model');
    await nav('Calibration');
    assert.equal(await page.locator('#calib-paths').inputValue(), `${text}@0:200000`, 'the typed paths survive navigation');
    assert.equal(await page.getByLabel('Sequences').inputValue(), '8');
    await page.getByRole('button', { name: 'Tokenize' }).dblclick();
    await page.locator('[data-testid=text-sets] tbody tr').first().waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(store.textSets(projectId()).length, 1, 'one text set, not two');
    assert.equal(await page.locator('[data-testid=job]').count(), 1);
    await page.getByRole('button', { name: 'Next: measure sensitivity' }).click();
    await page.getByRole('button', { name: 'Measure' }).click();
    await page.getByTestId('heatmap').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Next: plan a size budget' }).click();
    await page.getByTestId('plan-size').waitFor();
  });

  it('plans within the buildable range, explains an error-based prediction, and moves an impossible budget', async () => {
    const slider = page.getByLabel('Budget', { exact: true });
    const run = store.runs({}).find((r) => r.kind === 'sensitivity')!;
    const { bounds } = await service.plan(run.id, { kind: 'bpw', value: 64 }, {});
    assert.equal(Number(await slider.getAttribute('min')), Math.ceil(bounds.minBpw * 100) / 100);
    assert.equal(Number(await slider.getAttribute('max')), Math.floor(bounds.maxBpw * 100) / 100);
    // a measured report without KL: the prediction is an error, not a KL, and the CLI is named
    assert.equal(await page.getByText('Predicted KL').count(), 0);
    await page.getByText('Predicted error').waitFor();
    assert.match(await page.getByTestId('measure-kl-hint').innerText(), /lowbit sensitivity .*--measure-kl/);

    const typed = page.locator('#budget-typed');
    const summary = page.getByTestId('plan-size');
    await typed.fill('1');
    await typed.press('Enter');
    await page.getByTestId('budget-moved').waitFor();
    const lo = Math.ceil(bounds.minBpw * 100) / 100;
    assert.match(await page.getByTestId('budget-moved').innerText(), new RegExp(`nearest possible budget is ${lo.toFixed(2)} bpw`));
    await page.waitForFunction((b) => Number(document.querySelector<HTMLInputElement>('#budget')?.value) === b, lo);
    await summary.waitFor();
    const bpw = parseFloat((await summary.innerText()).split('·')[1]);
    assert.ok(bpw <= lo + 0.01, `the summary is the nearest plan's (${bpw} bpw), not the last one's`);

    // a budget and a pin survive navigation and a reload
    await slider.fill((lo + 0.5).toFixed(2));
    const box = (await page.getByTestId('heatmap').boundingBox())!;
    const kinds = await page.locator('.kinds .kind').allInnerTexts();
    const rows = await page.locator('.layers span').count();
    await page.mouse.click(box.x + ((kinds.indexOf('attn_q') + 0.5) * box.width) / kinds.length, box.y + (1.5 * box.height) / rows);
    await page.locator('#override-type').selectOption('Q8_0');
    await page.getByText('Pinned: blk.0.attn_q.weight → Q8_0').waitFor();
    await page.reload();
    await page.getByText('Pinned: blk.0.attn_q.weight → Q8_0').waitFor();
    assert.equal(await slider.inputValue(), (lo + 0.5).toFixed(2));
    await page.getByRole('button', { name: 'Clear pins' }).click();
    await page.getByRole('button', { name: 'Save plan' }).dblclick();
    await page.getByTestId('plan-saved').waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('[data-testid=saved-plans] tbody tr').count(), 1, 'one saved plan, not two');
  });

  it('calls a KL-fitted prediction "Predicted KL" in nats', async () => {
    const run = store.runs({}).find((r) => r.kind === 'sensitivity')!;
    const report = await service.sensitivity(run.id);
    for (const t of report.tensors) for (const c of t.candidates) c.kl = c.error * 1e-3;
    const file = path.join(dir, 'with-kl.json');
    fs.writeFileSync(file, JSON.stringify(report));
    await nav('Sensitivity');
    await page.getByLabel('Or import a report (JSON)').fill(file);
    await page.getByRole('button', { name: 'Import report' }).click();
    await nav('Plan');
    await page.getByText('Predicted KL').waitFor();
    assert.match(await page.getByTestId('plan-error').innerText(), /nats/);
    assert.equal(await page.getByTestId('measure-kl-hint').count(), 0);
    assert.match((await page.getByText('Predicted KL').getAttribute('title')) ?? '', /nats/);
  });

  it('keeps a typed output path when the type or method changes, and the run form across a reload', async () => {
    await page.getByRole('button', { name: /Next: quantize with plan/ }).click();
    await page.getByRole('heading', { name: 'Run' }).waitFor();
    assert.match(await page.getByLabel('Quantization type').inputValue(), /^plan:\d+$/, 'the plan just saved is preselected');
    const out = path.join(dir, 'mine.gguf');
    await page.locator('#out-path').fill(out);
    await page.getByLabel('Quantization type').selectOption('Q8_0');
    await page.getByLabel('Method').selectOption('rtn');
    assert.equal(await page.locator('#out-path').inputValue(), out);
    await page.reload();
    await page.locator('#out-path').waitFor();
    assert.equal(await page.locator('#out-path').inputValue(), out);
    assert.equal(await page.getByLabel('Quantization type').inputValue(), 'Q8_0');
    await page.getByRole('button', { name: 'Quantize', exact: true }).dblclick();
    await page.waitForFunction(() => document.querySelector('[data-testid=job][data-status=done]')?.textContent?.includes('quantize'), null, { timeout: 60_000 });
    await page.waitForLoadState('networkidle');
    assert.equal(store.runs({}).filter((r) => r.kind === 'quantize').length, 1, 'one quantize job, not two');
    await page.getByLabel('Quantization type').selectOption('Q4_0');
    await page.locator('#out-path').fill(path.join(dir, 'q4.gguf'));
    await page.getByRole('button', { name: 'Quantize', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=job][data-status=done]').length >= 4, null, { timeout: 60_000 });
  });

  it('evaluates; numbers carry units and explanations; the chart is padded and follows the theme', async () => {
    await page.getByRole('button', { name: 'Next: evaluate the results' }).click();
    await page.locator('#eval-text').fill(`${text}@300000:340000`);
    await page.getByLabel('Context').fill('128');
    await nav('Run');
    await page.reload();
    await nav('Results');
    assert.equal(await page.locator('#eval-text').inputValue(), `${text}@300000:340000`, 'the evaluation text survives navigation and a reload');
    assert.equal(await page.getByLabel('Context').inputValue(), '128');
    await page.getByRole('button', { name: 'Evaluate all' }).dblclick();
    const chart = page.getByTestId('pareto');
    await page.waitForFunction(() => document.querySelector('[data-testid=pareto]')?.getAttribute('data-points') === '2', null, { timeout: 60_000 });
    await page.waitForLoadState('networkidle');
    assert.equal(store.runs({}).filter((r) => r.kind === 'eval').length, 2, 'one evaluation per run, not two');

    const titles = await page.locator('[data-testid=results] th').evaluateAll((ths) => Object.fromEntries(ths.map((t) => [t.textContent!.trim(), t.getAttribute('title') ?? ''])));
    assert.match(titles['PPL ±'], /standard error/);
    assert.match(titles['KL (nats) ±'], /nats/);
    assert.match(titles['bpw'], /[Bb]its per weight/);
    const units = new Set((await page.locator('[data-testid=results] tbody td:nth-child(4)').allInnerTexts()).map((s) => s.split(' ')[1]));
    assert.equal(units.size, 1, 'one size unit in the table');
    assert.equal(await chart.getAttribute('data-unit'), [...units][0], 'and the same in the chart');

    // every point inside the padded axes
    const evals = store.runs({}).filter((r) => r.kind === 'eval').map((r) => (r.results as { meanKl: number }).meanKl);
    const quants = store.runs({}).filter((r) => r.kind === 'quantize').map((r) => (r.results as { bytes: number }).bytes);
    const [x0, x1] = (await chart.getAttribute('data-x'))!.split(',').map(Number);
    const [y0, y1] = (await chart.getAttribute('data-y'))!.split(',').map(Number);
    const perUnit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[[...units][0]]!;
    for (const b of quants) assert.ok(x0 < b / perUnit && b / perUnit < x1, `size ${b / perUnit} inside (${x0}, ${x1})`);
    for (const k of evals) assert.ok(y0 < k && k < y1, `KL ${k} inside (${y0}, ${y1})`);

    // hovering a run on the Pareto front: one tooltip line (the front's copy of the point is not repeated)
    const [[px, py]] = JSON.parse((await chart.getAttribute('data-pixels'))!) as number[][];
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + (px * box.width) / 720, box.y + (py * box.height) / 380);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=pareto]')?.getAttribute('data-tooltip-lines')) > 0);
    assert.equal(await chart.getAttribute('data-tooltip-lines'), '1');
    await page.mouse.move(0, 0);

    const textColour = () => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--text').trim());
    assert.equal(await chart.getAttribute('data-axis-color'), await textColour());
    await page.screenshot({ path: path.join(shots, 'results-light.png'), fullPage: true });
    const light = await chart.getAttribute('data-axis-color');
    await page.getByRole('button', { name: /Switch to/ }).click();
    await page.waitForFunction((c) => document.querySelector('[data-testid=pareto]')?.getAttribute('data-axis-color') !== c, light);
    assert.equal(await chart.getAttribute('data-axis-color'), await textColour(), 'the axes take the new theme\'s text colour');
    await page.screenshot({ path: path.join(shots, 'results-dark.png'), fullPage: true });
    await page.getByRole('button', { name: /Switch to/ }).click();

    await page.getByRole('button', { name: 'Next: export the run you chose' }).click();
    const exported = path.join(dir, 'exported.gguf');
    await page.getByLabel('GGUF path').fill(exported);
    await page.locator('main').getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByTestId('metadata').waitFor();
    // an export over a file that is already there asks before replacing it
    const other = path.join(dir, 'other.gguf');
    fs.writeFileSync(other, 'not a model');
    await page.getByLabel('GGUF path').fill(other);
    const asked = new Promise<string>((resolve) => page.once('dialog', (d) => (resolve(d.message()), void d.accept())));
    await page.locator('main').getByRole('button', { name: 'Export', exact: true }).click();
    assert.match(await asked, /other\.gguf already exists\. Replace it\?/);
    await page.waitForFunction(() => !document.querySelector('main button[type=submit]')?.hasAttribute('disabled'));
    assert.equal(await page.getByRole('alert').count(), 0);
    assert.equal(fs.readFileSync(other).subarray(0, 4).toString('latin1'), 'GGUF', 'the file was replaced by the export');
  });

  it('keeps the navigation in view and nothing wider than the window, at 1280×800 and 1920×1080', async () => {
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const view of VIEWS) {
        await nav(view);
        await page.getByRole('heading', { name: view, exact: true }).waitFor();
        await page.waitForLoadState('networkidle');
        const m = await page.evaluate(() => {
          const doc = document.scrollingElement!;
          window.scrollTo(0, doc.scrollHeight);
          const nav = document.querySelector('nav')!.getBoundingClientRect();
          const last = [...document.querySelectorAll('nav button')].at(-1)!.getBoundingClientRect();
          // a number cell on more than one line has text boxes at more than one height
          const wrapped = [...document.querySelectorAll('td.num')].filter((td) => {
            const r = document.createRange();
            r.selectNodeContents(td);
            return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1;
          }).map((td) => td.textContent);
          return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, navTop: nav.top, lastBottom: last.bottom, innerHeight, wrapped };
        });
        const where = `${view} at ${size.width}×${size.height}`;
        assert.ok(m.scrollWidth <= m.clientWidth, `${where}: page ${m.scrollWidth} px wide in a ${m.clientWidth} px window`);
        assert.ok(m.navTop > -1 && m.lastBottom <= m.innerHeight + 1, `${where}: navigation off-screen after scrolling down (${JSON.stringify(m)})`);
        assert.deepEqual(m.wrapped, [], `${where}: number cells on more than one line`);
        await page.screenshot({ path: path.join(shots, `${view.toLowerCase()}-${size.width}.png`) });
      }
    }
    await page.setViewportSize(SIZES[0]);
  });

  it('forgets a deleted project\'s jobs and drafts', async () => {
    const id = projectId();
    await nav('Projects');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No projects yet.').waitFor();
    await page.getByLabel('New project').fill('second');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'second' }).waitFor();
    // SQLite may give the new project the deleted one's id: the old jobs must not show up as its own
    assert.ok(projectId() >= id);
    await nav('Run');
    await page.getByText('No jobs yet.').waitFor();
    assert.equal(await page.locator('[data-testid=job]').count(), 0, 'no job of the deleted project');
    await nav('Results');
    assert.equal(await page.locator('#eval-text').inputValue(), '', 'no draft of the deleted project');
  });

  it('explains a stopped server instead of reconnecting forever', async () => {
    problems.length = 0;
    await server.close();
    const banner = page.getByTestId('connection-lost');
    await banner.waitFor({ timeout: 10_000 });
    assert.match(await banner.innerText(), /The studio server stopped.*lowbit studio --web/s);
    const seen = problems.length;
    await page.waitForTimeout(4000);
    assert.ok(problems.length - seen <= 1, `no stream of failed reconnects: ${problems.slice(seen).join(' | ')}`);
    await page.screenshot({ path: path.join(shots, 'server-stopped.png') });
  });
});
