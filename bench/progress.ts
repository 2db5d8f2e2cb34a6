import type { WriteStream } from 'node:tty';

/** Progress on stderr, so that stdout carries only the report. */
export interface Progress {
  /** Starts a new task with its own bar. */
  task(label: string): void;
  /** Fraction done (0..1) of the current task and a short status. */
  update(fraction: number, status: string): void;
  /** A line that stays, above the bar. */
  note(text: string): void;
  /** Ends the current task's bar. */
  done(status?: string): void;
}

const REDRAW_MS = 100;
const PLAIN_EVERY_MS = 5000;

type Stream = NodeJS.WritableStream & Partial<Pick<WriteStream, 'isTTY' | 'columns'>>;

export function createProgress(mode: 'auto' | 'plain' | 'off', stream: Stream = process.stderr): Progress {
  if (mode === 'off') return { task: () => {}, update: () => {}, note: () => {}, done: () => {} };
  const redraw = mode === 'auto' && stream.isTTY === true;
  let label = '';
  let lastDraw = 0;
  let lastPlainFraction = -1;
  let drawn = false;

  const clear = () => {
    if (redraw && drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = (fraction: number, status: string) => {
    // A terminal that reports no width (0) gets a generous one.
    const columns = stream.columns || 120;
    const width = Math.max(10, Math.min(30, columns - label.length - status.length - 12));
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${label} ${bar} ${String(Math.round(fraction * 100)).padStart(3)}% ${status}`;
    stream.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
    drawn = true;
  };

  return {
    task(next) {
      clear();
      label = next;
      lastDraw = 0;
      lastPlainFraction = -1;
      if (!redraw) stream.write(`${label}…\n`);
    },
    update(fraction, status) {
      const now = Date.now();
      if (redraw) {
        if (now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        draw(fraction, status);
        return;
      }
      // Plain lines: every tenth of the task, or every few seconds when it moves slowly.
      const tenth = Math.floor(fraction * 10);
      if (tenth > lastPlainFraction || now - lastDraw > PLAIN_EVERY_MS) {
        lastPlainFraction = Math.max(lastPlainFraction, tenth);
        lastDraw = now;
        stream.write(`  ${label} ${String(Math.round(fraction * 100)).padStart(3)}% ${status}\n`);
      }
    },
    note(text) {
      clear();
      stream.write(`${text}\n`);
    },
    done(status) {
      clear();
      stream.write(`${label} done${status ? `: ${status}` : ''}\n`);
    },
  };
}
