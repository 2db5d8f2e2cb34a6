import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName, functionNameEnvVar } from '../../contract/routes';
import { TABLES } from '../../contract/tables';
import { ChatFunction, esbuildOptionsFor, MAX_BUNDLE_BYTES } from '../../lib/chat-function';
import { cdkJsonContext } from './app';

const FUNCTION_NAMES = Object.keys(FUNCTIONS).filter((name): name is FunctionName =>
  Object.hasOwn(FUNCTIONS, name),
);

/**
 * Loaded before the bundle in the child process: records every attempt to reach the network, so a
 * handler that calls out while loading (a JWKS fetch, an SDK credential lookup) fails the test.
 */
const NETWORK_GUARD = `
const attempts = [];
globalThis.__networkAttempts = attempts;
const net = require('node:net');
const dns = require('node:dns');
const refuse = (what) => function () { attempts.push(what); throw new Error('network disabled: ' + what); };
net.Socket.prototype.connect = refuse('net.Socket.connect');
net.connect = refuse('net.connect');
net.createConnection = refuse('net.createConnection');
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
globalThis.fetch = refuse('fetch');
`;

const LOADER = `
const bundle = require(process.argv[1]);
setTimeout(() => {
  process.stdout.write(JSON.stringify({
    handlerType: typeof bundle.handler,
    networkAttempts: globalThis.__networkAttempts,
  }));
}, 300);
`;

/**
 * What the handlers read at import time, as Lambda sets it (the role's credentials included);
 * endpoints point at a closed port so nothing is reachable.
 */
function handlerEnvironment(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    NODE_OPTIONS: '--enable-source-maps',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example-secret',
    AWS_SESSION_TOKEN: 'example-token',
    CHAT_CONNECTIONS_ENDPOINT: 'http://127.0.0.1:1/live',
    CHAT_JWT_ISSUER: 'http://127.0.0.1:1',
    CHAT_JWT_AUDIENCE: 'x',
    CHAT_JWKS_URL: 'http://127.0.0.1:1/jwks',
    CHAT_MEDIA_BUCKET: 'test-media',
    CHAT_VAPID_PUBLIC_KEY: 'BTestPublicKey',
    CHAT_VAPID_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:test-vapid',
    CHAT_VAPID_SUBJECT: 'mailto:test@example.com',
  };
  for (const table of TABLES) env[table.envVar] = `test-${table.name}`;
  for (const name of FUNCTION_NAMES) env[functionNameEnvVar(name)] = `test-${name}`;
  return env;
}

/**
 * Lambda runs Node 22; on an older Node the bundled AWS SDK warns that its next releases need 22.
 * That warning (and only that one) is expected where the tests run on Node 20.
 */
function unexpectedStderr(stderr: string): string {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return stderr;
  return stderr.replace(
    /\(node:\d+\) Warning: NodeVersionSupportWarning:[\s\S]*?\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/g,
    '',
  );
}

describe('handler bundles built with the shared esbuild options', () => {
  let outdir: string;
  const sizes = new Map<FunctionName, number>();

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'chat-bundles-'));
    // Lambda gives the bundle no package.json, so Node reads index.js as CommonJS; make that explicit.
    writeFileSync(join(outdir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    writeFileSync(join(outdir, 'network-guard.cjs'), NETWORK_GUARD);
  });

  afterAll(() => {
    if (sizes.size > 0) {
      const lines = [...sizes].map(([name, bytes]) => `  ${name.padEnd(18)} ${(bytes / 1024).toFixed(0)} KB`);
      console.info(`Minified bundle sizes:\n${lines.join('\n')}`);
    }
    rmSync(outdir, { recursive: true, force: true });
  });

  it.each(FUNCTION_NAMES)('bundles %s small, without warnings, and loads it offline', async (name) => {
    const outfile = join(outdir, name, 'index.js');
    const result = await build({ ...esbuildOptionsFor(name, outfile), logLevel: 'silent' });

    expect(result.errors).toEqual([]);
    // A warning such as an empty `import.meta` in CommonJS output means broken code at run time.
    expect(result.warnings.map((warning) => warning.text)).toEqual([]);
    const bytes = statSync(outfile).size;
    sizes.set(name, bytes);
    // The budget of every bundle: an added client or library shows up here before it reaches a cold start.
    expect(bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    expect(readFileSync(`${outfile}.map`, 'utf8').length).toBeGreaterThan(0);

    const child = spawnSync(
      process.execPath,
      ['--require', join(outdir, 'network-guard.cjs'), '-e', LOADER, outfile],
      {
        cwd: outdir,
        env: handlerEnvironment(outdir),
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(unexpectedStderr(child.stderr)).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ handlerType: 'function', networkAttempts: [] });
  });
});

describe('CDK bundling', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'chat-cdk-asset-'));
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('produces byte for byte the code the shared esbuild options produce', async () => {
    // The smallest handler keeps this quick; the options are the same for every function.
    const name: FunctionName = 'fallback';
    const app = new App({ outdir: join(outdir, 'cdk.out'), context: cdkJsonContext() });
    new ChatFunction(new Stack(app, 'BundlingTest'), 'Fallback', { name });
    app.synth();
    const assetDirs = readdirSync(join(outdir, 'cdk.out')).filter((entry) => entry.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const fromCdk = readFileSync(join(outdir, 'cdk.out', assetDirs[0] ?? '', 'index.js'), 'utf8');

    const outfile = join(outdir, 'esbuild', 'index.js');
    await build({ ...esbuildOptionsFor(name, outfile), logLevel: 'silent' });
    const fromOptions = readFileSync(outfile, 'utf8');

    expect(fromCdk.length).toBeGreaterThan(0);
    expect(fromCdk).toBe(fromOptions);
  });
});
