import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync } from 'esbuild';

/**
 * The one build definition of the browser app, used by `npm start` (in memory, local/web-server.ts)
 * and by the CDK app (into the client's asset while `cdk synth` bundles, lib/web-hosting.ts): web/main.ts
 * and web/styles.css become app.js and styles.css, next to the static files.
 */
export const WEB_DIR = dirname(fileURLToPath(import.meta.url));
export const WEB_STATIC_FILES = ['index.html'] as const;

export function webBuildOptions(outdir: string): BuildOptions & { outdir: string } {
  return {
    entryPoints: { app: join(WEB_DIR, 'main.ts'), styles: join(WEB_DIR, 'styles.css') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
  };
}

/** Builds the app into `outdir` and returns that directory. Synchronous, as CDK constructs are. */
export function buildWeb(outdir: string): string {
  mkdirSync(outdir, { recursive: true });
  buildSync(webBuildOptions(outdir));
  for (const file of WEB_STATIC_FILES) copyFileSync(join(WEB_DIR, file), join(outdir, file));
  return outdir;
}
