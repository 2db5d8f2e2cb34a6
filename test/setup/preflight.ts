/**
 * The first step of `npm test`, before type-checking and the suites: brings what the suites need
 * from the machine (see machine.ts), with apt-get when running as root, or stops at once with one
 * line that says what to install. Browsers come from Debian's package only; nothing is downloaded here.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { javaVersion } from '../../local/java';
import { CHROMIUM_PATH, type Machine, type Plan, plan } from './machine';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, command)));
}

function probe(): Machine {
  return {
    chromiumPath: CHROMIUM_PATH,
    hasChromium: isExecutable(CHROMIUM_PATH),
    javaVersion: javaVersion(),
    canInstall: process.getuid?.() === 0 && onPath('apt-get'),
  };
}

function stop(line: string): never {
  console.error(line);
  process.exit(1);
}

function aptGet(args: readonly string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const { status } = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (status !== 0)
    stop(`npm test could not install what it needs: apt-get ${args.join(' ')} exited ${status}`);
}

let next: Plan = plan(probe());
if (next.action === 'install') {
  console.log(`npm test installs what the suites need: apt-get install ${next.packages.join(' ')}`);
  aptGet(['update', '-qq']);
  aptGet(['install', '-y', '-qq', '--no-install-recommends', ...next.packages]);
  // Whatever is still missing now (another CHROMIUM_PATH, an older java first on the PATH) needs a person.
  next = plan({ ...probe(), canInstall: false });
}
if (next.action === 'stop') stop(next.line);
