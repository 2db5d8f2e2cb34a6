import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName } from '../contract/routes';
import { esbuildOptionsFor } from '../lib/chat-function';
import { distribution } from './stats';

export interface BundleResult {
  name: FunctionName;
  bytes: number;
  gzipBytes: number;
  /** Median module-load time (require) in a fresh process. */
  loadMs: number;
  /** The same with --enable-source-maps, which the deployed functions set in NODE_OPTIONS. */
  loadMsSourceMaps: number;
  loadRuns: number;
}

const LOADER = `
const started = performance.now();
require(process.argv[1]);
process.stdout.write(JSON.stringify({ ms: performance.now() - started }));
`;
/** Handlers read their configuration when they load; any value of the right shape does. */
const DUMMY = 'http://127.0.0.1:1/bench';
const MISSING = /Missing required environment variable (\w+)/;

class MissingVariable extends Error {
  constructor(readonly variable: string) {
    super(`missing ${variable}`);
  }
}

function loadOnce(outfile: string, env: NodeJS.ProcessEnv, sourceMaps: boolean): number {
  const child = spawnSync(
    process.execPath,
    [...(sourceMaps ? ['--enable-source-maps'] : []), '-e', LOADER, outfile],
    {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  const missing = MISSING.exec(child.stderr);
  if (missing?.[1]) throw new MissingVariable(missing[1]);
  if (child.status !== 0) throw new Error(`loading ${outfile} failed: ${child.stderr.slice(0, 500)}`);
  const parsed = JSON.parse(child.stdout) as { ms: number };
  return parsed.ms;
}

/**
 * Builds each Lambda bundle exactly as the CDK stack does (the shared esbuild options of
 * lib/chat-function.ts) and times `require` of it in fresh Node processes.
 */
export async function measureBundles(
  loadRuns: number,
  onProgress: (fraction: number, status: string) => void,
): Promise<BundleResult[]> {
  const names = Object.keys(FUNCTIONS).filter((name): name is FunctionName => Object.hasOwn(FUNCTIONS, name));
  const outdir = mkdtempSync(join(tmpdir(), 'chat-bench-bundles-'));
  // Lambda gives the bundle no package.json, so Node reads index.js as CommonJS.
  writeFileSync(join(outdir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: outdir, AWS_REGION: 'us-east-1' };
  const results: BundleResult[] = [];
  try {
    for (const [index, name] of names.entries()) {
      onProgress(index / names.length, name);
      const outfile = join(outdir, name, 'index.js');
      await build({ ...esbuildOptionsFor(name, outfile), logLevel: 'silent' });
      const code = readFileSync(outfile);
      const timings = { plain: [] as number[], maps: [] as number[] };
      for (let run = 0; run < loadRuns; run++) {
        for (const sourceMaps of [false, true]) {
          let ms: number | undefined;
          // A handler that needs a variable names it when it fails; give it one and load again.
          while (ms === undefined) {
            try {
              ms = loadOnce(outfile, env, sourceMaps);
            } catch (error) {
              if (!(error instanceof MissingVariable)) throw error;
              env[error.variable] = DUMMY;
            }
          }
          (sourceMaps ? timings.maps : timings.plain).push(ms);
        }
      }
      results.push({
        name,
        bytes: statSync(outfile).size,
        gzipBytes: gzipSync(code).length,
        loadMs: distribution(timings.plain).p50,
        loadMsSourceMaps: distribution(timings.maps).p50,
        loadRuns,
      });
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  return results;
}
