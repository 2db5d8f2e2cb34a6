import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJavaVersion } from '../../local/java';
import { type Machine, plan } from './machine';

const READY: Machine = {
  chromiumPath: '/usr/bin/chromium',
  hasChromium: true,
  javaVersion: 17,
  canInstall: false,
};

describe('plan', () => {
  it('runs the suites when Chromium and Java 17+ are there', () => {
    expect(plan(READY)).toEqual({ action: 'run' });
    expect(plan({ ...READY, javaVersion: 21, canInstall: true })).toEqual({ action: 'run' });
  });

  it('installs what is missing when it may (root with apt-get)', () => {
    expect(plan({ ...READY, hasChromium: false, canInstall: true })).toEqual({
      action: 'install',
      packages: ['chromium'],
    });
    expect(plan({ ...READY, hasChromium: false, javaVersion: 11, canInstall: true })).toEqual({
      action: 'install',
      packages: ['chromium', 'default-jre-headless'],
    });
  });

  it('stops with one line naming the missing piece and its install command when it may not', () => {
    expect(plan({ ...READY, javaVersion: undefined })).toEqual({
      action: 'stop',
      line: 'npm test needs Java 17+ on the PATH (DynamoDB Local); install with: sudo apt-get install -y default-jre-headless',
    });
    expect(plan({ ...READY, chromiumPath: '/opt/chromium', hasChromium: false })).toEqual({
      action: 'stop',
      line: 'npm test needs Chromium at /opt/chromium (end-to-end tests); install with: sudo apt-get install -y chromium',
    });
  });
});

describe('parseJavaVersion', () => {
  it('reads the major version of current and pre-9 Java', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(parseJavaVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaVersion('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaVersion('command not found')).toBeUndefined();
  });
});

describe('the preflight script', () => {
  // A PATH with nothing on it: no java and no apt-get, so nothing can be installed.
  const emptyPath = mkdtempSync(join(tmpdir(), 'preflight-'));
  afterAll(() => rmSync(emptyPath, { recursive: true, force: true }));

  it('stops with exit code 1 and one line when Chromium and Java are missing and cannot be installed', () => {
    const script = fileURLToPath(new URL('./preflight.ts', import.meta.url));
    // The same command as the first step of `npm test`.
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      env: { PATH: emptyPath, CHROMIUM_PATH: join(emptyPath, 'chromium') },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `npm test needs Chromium at ${join(emptyPath, 'chromium')} (end-to-end tests) and Java 17+ on the PATH ` +
        '(DynamoDB Local); install with: sudo apt-get install -y chromium default-jre-headless\n',
    );
  });
});
