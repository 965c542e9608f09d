// lowbit studio --web: serves the studio on 127.0.0.1 for machines without a display.
import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { studioService } from '../core/studio/service.js';
import { startWebServer } from '../server/web-server.js';
import { DB_HELP, openStore, positiveInt } from './options.js';

/** The built renderer: dist/renderer at the repository (or package) root. */
export function rendererDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'dist', 'renderer');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('the renderer is not built: run `npm install` (or `npm run build:renderer`)');
}

export function studioCommand(): Command {
  return new Command('studio')
    .description('open the studio: in a browser on this machine with --web (the desktop app starts with `npm start`)')
    .option('--web', 'serve the studio on 127.0.0.1 and print the URL to open')
    .option('--port <n>', 'port (default: any free one)', positiveInt('--port'))
    .option('--db <path>', DB_HELP)
    .action(async (o: { web?: boolean; port?: number; db?: string }) => {
      if (!o.web) throw new Error('the desktop studio starts with `npm start`; use `lowbit studio --web` on a machine without a display');
      const store = openStore(o.db);
      const server = await startWebServer({ api: studioService(store), rendererDir: rendererDir(), port: o.port });
      process.stdout.write(`Lowbit Studio is running. Open this URL (it carries a one-time access token):\n  ${server.url}\nPress Ctrl-C to stop.\n`);
      process.once('SIGINT', () => {
        void server.close().then(() => {
          store.close();
          process.exit(0);
        });
      });
    });
}
