// Where the studio keeps its data: LOWBIT_DATA_DIR, else the platform's user data directory.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(): string {
  if (process.env.LOWBIT_DATA_DIR) return process.env.LOWBIT_DATA_DIR;
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Lowbit Studio');
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Lowbit Studio');
    default:
      return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'lowbit-studio');
  }
}

export function defaultDbPath(): string {
  return path.join(defaultDataDir(), 'studio.db');
}
