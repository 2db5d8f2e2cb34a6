import { spawnSync } from 'node:child_process';

/** DynamoDB Local 3.x runs on Java 17 or newer. */
export const JAVA_MIN_VERSION = 17;

/** The major version in `java -version` output: `openjdk version "17.0.15"`, or `"1.8.0_392"` before Java 9. */
export function parseJavaVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

/** The major version of the `java` on the PATH (the one DynamoDB Local starts), or undefined when there is none. */
export function javaVersion(): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return result.status === 0 ? parseJavaVersion(result.stderr) : undefined;
}

export function javaAvailable(): boolean {
  return (javaVersion() ?? 0) >= JAVA_MIN_VERSION;
}
