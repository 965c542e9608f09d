// Progress with ETA on stderr for long CLI work. On a terminal it redraws one line; otherwise it
// prints a line at most every few seconds so logs stay readable.
import type { Store } from '../core/db/store.js';
import type { OperationContext } from '../core/operations/runner.js';

export interface ProgressReporter {
  update(done: number, total: number, stage?: string, unit?: string): void;
  done(message?: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function stderrProgress(label: string, quiet = false): ProgressReporter {
  const start = performance.now();
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  let printedEnd = false;
  return {
    update(done, total, stage, unit) {
      if (quiet) return;
      const now = performance.now();
      const end = done >= total;
      if (!tty && (end ? printedEnd : now - lastPrint < 3000)) return;
      if (end) printedEnd = true;
      lastPrint = now;
      const elapsed = (now - start) / 1000;
      const frac = total > 0 ? done / total : 0;
      const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
      const line = `${label}${stage ? ` ${stage}` : ''}: ${done}/${total}${unit ? ` ${unit}` : ''} (${(frac * 100).toFixed(1)}%) elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)}`;
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    },
    done(message) {
      if (quiet) return;
      if (tty) process.stderr.write('\r\x1b[K');
      if (message) process.stderr.write(`${message}\n`);
    },
  };
}

/** An AbortSignal that fires on Ctrl-C (first press cancels cleanly, a second one exits). */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling… (press Ctrl-C again to exit at once)\n');
    controller.abort(new Error('cancelled by the user'));
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}

/** What a command hands runOperation: Ctrl-C cancels, progress and log lines go to stderr. */
export function cliContext(label: string, o: { store?: Store; threads?: number; quiet?: boolean } = {}): OperationContext & { progress: ProgressReporter } {
  const progress = stderrProgress(label, o.quiet);
  const tenth = (v: number) => Math.round(v * 10) / 10;
  return {
    store: o.store,
    threads: o.threads,
    signal: interruptSignal(),
    progress,
    onProgress: (p) => progress.update(tenth(p.done), tenth(p.total), p.stage, p.unit),
    onLog: (line) => {
      if (!o.quiet) process.stderr.write(`${line}\n`);
    },
  };
}
