import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoEngine } from '../../local/dynamodb';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../local/runtime';

/** The DynamoDB engine under test: dynalite unless CHAT_TEST_DYNAMODB names DynamoDB Local. */
export function engineUnderTest(): DynamoEngine {
  return process.env.CHAT_TEST_DYNAMODB === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';
}

export interface TestRuntimeOptions extends RuntimeOptions {
  /** The test provokes IAM denials on purpose; otherwise one fails the run. */
  allowDenials?: boolean;
}

/**
 * A runtime in memory, on free ports, quiet unless CHAT_TEST_LOG is set. Its stop() fails if, while it
 * ran, a function was refused a call (it lacks a grant it needs on AWS) or the server produced a message
 * over API Gateway's outgoing limit (AWS would not deliver it): every test that uses it checks both.
 */
export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<Runtime> {
  const { allowDenials, ...runtimeOptions } = options;
  const problems: string[] = [];
  const print = process.env.CHAT_TEST_LOG ? (line: string) => console.log(line) : () => {};
  const runtime = await startRuntime({
    dynamodb: engineUnderTest(),
    ...runtimeOptions,
    log: (line) => {
      if (line.startsWith('[iam]') && !allowDenials) problems.push(line);
      (runtimeOptions.log ?? print)(line);
    },
    onGatewayEvent: (event) => {
      if (event.type === 'oversize')
        problems.push(`${event.source} of ${event.bytes} bytes to ${event.connectionId} is over the limit`);
      runtimeOptions.onGatewayEvent?.(event);
    },
  });
  return {
    ...runtime,
    async stop() {
      await runtime.stop();
      if (problems.length > 0)
        throw new Error(`The runtime saw what AWS would refuse:\n${problems.join('\n')}`);
    },
  };
}

export function temporaryDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
