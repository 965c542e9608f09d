// Numbers with units.
export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

export function bpw(bytes: number, weights: number): string {
  return `${((8 * bytes) / Math.max(1, weights)).toFixed(3)} bpw`;
}

export function shape(ne: number[]): string {
  return `[${ne.join(' × ')}]`;
}

export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Small errors in scientific form, so 3e-7 and 2e-3 stay readable side by side. */
export function sci(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toPrecision(digits) : x.toExponential(digits - 1);
}

export function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(100 * x).toFixed(2)} %`;
}

export const basename = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** folder + name with the folder's own separator (a Windows host gives backslashes) */
export const joinPath = (folder: string, name: string) => `${folder.replace(/[\\/]+$/, '')}${/\\/.test(folder) && !folder.includes('/') ? '\\' : '/'}${name}`;
