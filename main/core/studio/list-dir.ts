// Web mode's file browser (a browser page cannot open a native dialog on the server's disk): one
// folder at a time, showing only what the Model view can import: subfolders to walk into, GGUF and
// llama2.c files, and Hugging Face folders (config.json beside *.safetensors). Hidden entries are
// left out. The server answers on 127.0.0.1 with a per-launch token only.
import fs from 'node:fs';
import path from 'node:path';

import type { DirEntry, DirListing } from '../../contract/api.js';

const MAX_ENTRIES = 2000;

function isHfFolder(dir: string): boolean {
  try {
    const names = fs.readdirSync(dir);
    return names.includes('config.json') && names.some((n) => n.endsWith('.safetensors'));
  } catch {
    return false;
  }
}

export function listDir(folder: string): DirListing {
  if (!path.isAbsolute(folder)) throw new Error(`give an absolute folder path (got ${folder})`);
  const dir = path.resolve(folder);
  let stat;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new Error(`no such folder: ${dir}`);
  }
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`);
  const entries: DirEntry[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    const full = path.join(dir, d.name);
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink()) {
      try {
        const s = fs.statSync(full);
        isDir = s.isDirectory();
        isFile = s.isFile();
      } catch {
        continue; // a dangling link
      }
    }
    if (isDir) entries.push({ name: d.name, path: full, kind: isHfFolder(full) ? 'hf' : 'dir' });
    else if (isFile && /\.gguf$/i.test(d.name)) entries.push({ name: d.name, path: full, kind: 'gguf' });
    else if (isFile && /\.bin$/i.test(d.name)) entries.push({ name: d.name, path: full, kind: 'bin' });
    if (entries.length >= MAX_ENTRIES) break;
  }
  entries.sort((a, b) => Number(b.kind === 'dir') - Number(a.kind === 'dir') || a.name.localeCompare(b.name));
  const parent = path.dirname(dir);
  return { path: dir, parent: parent === dir ? null : parent, entries };
}
