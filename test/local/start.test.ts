import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/free-port';
import { startTestRuntime, temporaryDir } from '../support/runtime';
import { openSocket } from '../support/socket';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

/** `npm start`'s command, with the given arguments and extra environment. */
function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exited, output: () => output };
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGTERM');
});

describe('npm start, as a new user meets it', () => {
  it('says how to pass options that npm kept for itself', async () => {
    const run = start([], { npm_config_port: '4405' });

    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('npm start -- --port <value>');
  });

  it('suggests --port when the port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const run = start(['--memory', '--port', String(port)]);

      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        `Port ${port} is in use. Start on another one with: npm start -- --port <n>`,
      );
    } finally {
      blocker.close();
    }
  });

  it('says that a data folder is in use, and how to use another', async () => {
    const data = temporaryDir('chat-lock-');
    const runtime = await startTestRuntime({ dataDir: data.path });
    try {
      const run = start(['--data-dir', data.path, '--port', '0']);

      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`The data folder ${data.path} is in use by another local runtime`);
      expect(run.output()).toContain('--data-dir <another folder> or --memory');
    } finally {
      await runtime.stop();
      data.remove();
    }
  });

  it('accepts a connection as soon as it can hand out a token', async () => {
    const port = await freePort();
    const run = start(['--memory', '--port', String(port)]);
    let token: string | undefined;
    let exited = false;
    void run.exited.then(() => {
      exited = true;
    });
    while (token === undefined) {
      if (exited) throw new Error(`npm start stopped:\n${run.output()}`);
      const answer = await fetch(`http://127.0.0.1:${port}/auth/token?username=early`).catch(() => undefined);
      if (answer?.ok) token = ((await answer.json()) as { token: string }).token;
      else await delay(20);
    }

    const socket = await openSocket(`ws://127.0.0.1:${port}/live?token=${token}`);

    expect(await socket.next((frame) => frame.type === 'synced')).toMatchObject({ type: 'synced' });
    await socket.close();
  });
});

describe('the runtime when DynamoDB dies', () => {
  it('reports that it cannot go on, instead of answering INTERNAL forever', async () => {
    const runtime = await startTestRuntime();
    if (runtime.dynamoPid === undefined) throw new Error('no DynamoDB process');

    process.kill(runtime.dynamoPid, 'SIGKILL');

    expect(await runtime.failed).toMatch(/^DynamoDB stopped unexpectedly: .* exited with SIGKILL/);
    await runtime.stop();
  });
});
