import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Counters } from './counters';
import type { CpuUsage, ServerCommand, ServerConfig, ServerReport } from './server';

/** A system under test running in its own process (bench/server.ts). */
export interface SystemProcess {
  config: ServerConfig;
  wsUrl: string;
  httpUrl: string | undefined;
  /** The local Web Push service's origin (the chat system only). */
  pushServiceUrl: string | undefined;
  /** Time the child took from its first line of code to ready. */
  readyMs: number;
  /** Counters (filled in counting mode only) and CPU used so far. */
  counters(): Promise<{ counters: Counters; cpu: CpuUsage }>;
  /** What the process wrote to stdout and stderr (handler errors land here). */
  output(): string;
  stop(): Promise<void>;
}

/** CPU time per message (ms) of the system's process and of its DynamoDB server process. */
export interface CpuPerMessage {
  server: number;
  children: number | undefined;
}

/** Runs `work` and divides the CPU the system used meanwhile by the messages the work sent. */
export async function withCpu<T extends { sent: number }>(
  system: SystemProcess,
  work: () => Promise<T>,
): Promise<T & { cpuMsPerMessage: CpuPerMessage }> {
  const before = (await system.counters()).cpu;
  const result = await work();
  const after = (await system.counters()).cpu;
  const messages = Math.max(1, result.sent);
  const children =
    after.childrenMs === undefined || before.childrenMs === undefined
      ? undefined
      : (after.childrenMs - before.childrenMs) / messages;
  return { ...result, cpuMsPerMessage: { server: (after.serverMs - before.serverMs) / messages, children } };
}

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
/** The TypeScript loader, by path, so the child runs wherever the bench was started from. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAX_OUTPUT = 200_000;
const START_TIMEOUT_MS = 60_000;

function reportOf(message: unknown): ServerReport | undefined {
  return typeof message === 'object' && message !== null && 'type' in message
    ? (message as ServerReport)
    : undefined;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    const command: ServerCommand = { type: 'stop' };
    if (child.connected) child.send(command);
    else child.kill('SIGTERM');
  });
}

/**
 * Starts a system; with `profileDir`, its process writes CPU profiles into `<profileDir>/<system>-cpu`
 * when it stops, one per thread (the main thread's is the largest; tsx's module loader has its own).
 */
export async function startSystem(config: ServerConfig, profileDir?: string): Promise<SystemProcess> {
  const profile =
    profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${config.system}-cpu`)}`];
  const child = fork(SERVER, [JSON.stringify(config)], {
    execArgv: ['--import', TSX, ...profile],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const ready = await new Promise<Extract<ServerReport, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${config.system} did not start within 60 s\n${output}`)),
      START_TIMEOUT_MS,
    );
    child.on('message', (message) => {
      const report = reportOf(message);
      if (report?.type === 'ready') {
        clearTimeout(timer);
        resolve(report);
      } else if (report?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${config.system} failed to start: ${report.error}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${config.system} exited with code ${code} before it was ready\n${output}`));
    });
  });

  return {
    config,
    wsUrl: ready.wsUrl,
    httpUrl: ready.httpUrl,
    pushServiceUrl: ready.pushServiceUrl,
    readyMs: ready.readyMs,
    counters: () =>
      new Promise((resolve, reject) => {
        const onMessage = (message: unknown) => {
          const report = reportOf(message);
          if (report?.type !== 'counters') return;
          child.off('message', onMessage);
          resolve({ counters: report.counters, cpu: report.cpu });
        };
        child.on('message', onMessage);
        const command: ServerCommand = { type: 'counters' };
        child.send(command, (error) => {
          if (error) reject(error);
        });
      }),
    output: () => output,
    stop: () => stopChild(child),
  };
}
