// Draws the size-vs-KL chart of bench:pareto with chart.js in headless Chromium and saves it as PNG.
import { chromium } from 'playwright-core';
import path from 'node:path';

import { repoRoot } from '../helpers/shared.js';

interface Point {
  label: string;
  bytes: number;
  kl: number;
}

const CHART_SCRIPT = `function (d) {
  function toXY(p) { return p.map(function (x) { return { x: x.bytes / 1024, y: x.kl }; }); }
  new Chart(document.getElementById('c'), {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'llama.cpp presets (RTN + imatrix)', data: toXY(d.presets), backgroundColor: '#d9480f', pointRadius: 6 },
        { label: 'Lowbit plans (GPTQ, mixed precision)', data: toXY(d.plans), backgroundColor: '#1971c2', pointRadius: 5 },
      ],
    },
    options: {
      animation: false,
      responsive: false,
      plugins: { title: { display: true, text: d.title } },
      scales: { x: { title: { display: true, text: 'file size (KiB)' } }, y: { type: 'logarithmic', title: { display: true, text: 'mean KL divergence' } } },
    },
  });
}`;

export async function drawParetoPng(out: string, data: { title: string; presets: Point[]; plans: Point[] }): Promise<void> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.setContent('<canvas id="c" width="900" height="600"></canvas>');
    await page.addScriptTag({ path: path.join(repoRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.js') });
    // a string, not a function: the page must not see the TypeScript loader's helpers
    await page.evaluate(`(${CHART_SCRIPT})(${JSON.stringify(data)})`);
    await page.locator('#c').screenshot({ path: out });
  } finally {
    await browser.close();
  }
}
