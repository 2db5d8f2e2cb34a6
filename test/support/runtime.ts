import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoEngine } from '../../local/dynamodb';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../local/runtime';

/** The DynamoDB engine under test: dynalite unless CHAT_TEST_DYNAMODB names DynamoDB Local. */
export function engineUnderTest(): DynamoEngine {
  return process.env.CHAT_TEST_DYNAMODB === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';
}

/** A runtime in memory, on free ports, quiet unless CHAT_TEST_LOG is set. */
export function startTestRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  return startRuntime({
    dynamodb: engineUnderTest(),
    ...(process.env.CHAT_TEST_LOG ? { log: (line: string) => console.log(line) } : { log: () => {} }),
    ...options,
  });
}

export function temporaryDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
