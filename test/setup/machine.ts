import { JAVA_MIN_VERSION } from '../../local/java';

/** The end-to-end tests drive Debian's chromium package; CHROMIUM_PATH points them at another Chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** What the preflight found on this machine. */
export interface Machine {
  chromiumPath: string;
  hasChromium: boolean;
  /** Major version of the `java` on the PATH. */
  javaVersion: number | undefined;
  /** Running as root with apt-get on the PATH. */
  canInstall: boolean;
}

export type Plan =
  | { action: 'run' }
  | { action: 'install'; packages: string[] }
  | { action: 'stop'; line: string };

/** Something a suite needs from the machine, and the Debian package that brings it. */
interface Need {
  what(machine: Machine): string;
  debianPackage: string;
  met(machine: Machine): boolean;
}

const NEEDS: readonly Need[] = [
  {
    what: (machine) => `Chromium at ${machine.chromiumPath} (end-to-end tests)`,
    debianPackage: 'chromium',
    met: (machine) => machine.hasChromium,
  },
  {
    what: () => `Java ${JAVA_MIN_VERSION}+ on the PATH (DynamoDB Local)`,
    // Debian's default JRE: OpenJDK 17 on bookworm, 21 on trixie.
    debianPackage: 'default-jre-headless',
    met: (machine) => (machine.javaVersion ?? 0) >= JAVA_MIN_VERSION,
  },
];

/** Run the suites, install what is missing first, or stop with one line saying what to install. */
export function plan(machine: Machine): Plan {
  const missing = NEEDS.filter((need) => !need.met(machine));
  if (missing.length === 0) return { action: 'run' };
  const packages = missing.map((need) => need.debianPackage);
  if (machine.canInstall) return { action: 'install', packages };
  const what = missing.map((need) => need.what(machine)).join(' and ');
  return {
    action: 'stop',
    line: `npm test needs ${what}; install with: sudo apt-get install -y ${packages.join(' ')}`,
  };
}
