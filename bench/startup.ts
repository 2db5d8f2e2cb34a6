import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distribution } from './stats';

export interface StartupResult {
  mode: 'memory' | 'data-dir';
  runs: number;
  /** Median wall time from spawning `npm start` to its "ready" line (npm, tsx and all). */
  wallMs: number;
  /** Median of the "ready in" figure it prints itself (from its first line of code). */
  reportedMs: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY = /ready in ([\d.]+) s/;
const TIMEOUT_MS = 60_000;

/** One `npm start` on a free port, timed until it prints that it is ready, then stopped with Ctrl-C. */
function startOnce(args: readonly string[]): Promise<{ wallMs: number; reportedMs: number }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    // Its own process group, so the stop reaches npm, tsx and node alike.
    const child = spawn('npm', ['start', '--', '--port', '0', ...args], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let result: { wallMs: number; reportedMs: number } | undefined;
    const stop = () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGINT');
    };
    // A detached group outlives the bench unless stopped: stop it however the bench ends.
    process.once('exit', stop);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`npm start was not ready within ${TIMEOUT_MS / 1000} s:\n${output}`));
    }, TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const ready = READY.exec(output);
      if (ready && result === undefined) {
        result = { wallMs: performance.now() - began, reportedMs: Number(ready[1]) * 1000 };
        stop();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      process.off('exit', stop);
      if (result) resolve(result);
      else reject(new Error(`npm start exited before it was ready:\n${output}`));
    });
  });
}

export async function measureStartup(
  runs: number,
  onProgress: (fraction: number) => void,
): Promise<StartupResult[]> {
  const results: StartupResult[] = [];
  const modes = ['memory', 'data-dir'] as const;
  for (const [index, mode] of modes.entries()) {
    const timings: { wallMs: number; reportedMs: number }[] = [];
    for (let run = 0; run < runs; run++) {
      onProgress((index * runs + run) / (modes.length * runs));
      // A fresh data folder each time: what a first `npm start` after cloning does.
      const dataDir = mode === 'data-dir' ? mkdtempSync(join(tmpdir(), 'chat-bench-data-')) : undefined;
      try {
        timings.push(await startOnce(dataDir ? ['--data-dir', dataDir] : ['--memory']));
      } finally {
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    }
    results.push({
      mode,
      runs,
      wallMs: distribution(timings.map((t) => t.wallMs)).p50,
      reportedMs: distribution(timings.map((t) => t.reportedMs)).p50,
    });
  }
  return results;
}
