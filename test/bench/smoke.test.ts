import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/report';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The bench is not a test; this only proves it works end to end: a few users for a few seconds through
 * the chat and both floors, one fixed-rate throughput step, and the cost phase with a few samples, all
 * as `npm run bench` runs them (the systems in their own processes).
 */
describe('npm run bench (smoke run)', () => {
  let outDir: string;
  let exitCode: number | null;
  let stdout: string;
  let stderr: string;
  let report: BenchReport;

  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'chat-bench-smoke-'));
    const args = [
      '--import',
      'tsx',
      'bench/run.ts',
      ...['--users', '6', '--rate', '20', '--duration', '1', '--warmup', '0'],
      ...['--phases', 'latency,max,cost', '--max-rate', '20', '--max-step', '1', '--cost-samples', '3'],
      ...['--quiet', '--out', outDir],
    ];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
    exitCode = run.status;
    stdout = run.stdout;
    stderr = run.stderr;
    const json = readdirSync(outDir).find((file) => file.endsWith('.json'));
    report = JSON.parse(readFileSync(join(outDir, json ?? 'missing.json'), 'utf8')) as BenchReport;
  }, 120_000);

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('finishes, prints the table and writes the JSON and the chart', () => {
    expect(exitCode, stderr).toBe(0);
    expect(stdout).toContain('Latency (ms)');
    expect(stdout).toContain('Targets');
    const svg = readdirSync(outDir).find((file) => file.endsWith('.svg'));
    expect(readFileSync(join(outDir, svg ?? 'missing.svg'), 'utf8')).toMatch(
      /^<svg [\s\S]*<polyline[\s\S]*<\/svg>$/,
    );
  });

  it('delivers every message of the chat and both floors exactly once', () => {
    expect(report.errors).toEqual([]);
    expect(report.systems.map((system) => system.system)).toEqual(['chat', 'relay', 'persist']);
    expect(report.systems[0]?.verification?.method).toBe('history');
    for (const system of report.systems) {
      expect(system.latency?.sent, system.system).toBe(20);
      expect(system.latency?.delivered, system.system).toBe(20);
      expect(system.throughput?.steps, system.system).toHaveLength(1);
      expect(system.error, system.system).toBeUndefined();
      expect(system.verification, system.system).toMatchObject({
        lost: 0,
        duplicates: 0,
        seqGaps: 0,
        unacked: 0,
      });
      expect(system.verification?.deliveredLive, system.system).toBe(system.verification?.sent);
    }
  });

  it('counts the AWS calls of a send at the servers', () => {
    const send = report.cost?.flows.find((flow) => flow.flow === 'send-online');
    expect(send?.totals.dynamoCalls).toBeGreaterThan(0);
    expect(send?.totals.invocations).toBeGreaterThanOrEqual(1);
    expect(send?.usage.posts).toBeGreaterThanOrEqual(1);
    expect(send?.perMillion).toBeGreaterThan(0);
  });

  it('counts the S3 requests of a media message at the local S3', () => {
    const media = report.cost?.flows.find((flow) => flow.flow === 'media');
    // The upload (POST) and the copy out of staging; the check (HEAD, ranged GET) and the download.
    expect(media?.usage.s3.puts).toBe(2);
    expect(media?.usage.s3.gets).toBe(3);
    expect(media?.usage.s3.gbOut).toBeGreaterThan(0);
    expect(media?.dollars.s3).toBeGreaterThan(0);
  });
});
