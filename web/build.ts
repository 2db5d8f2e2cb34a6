import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync } from 'esbuild';
import { type CspSources, contentSecurityPolicy } from './csp';

/**
 * The one build definition of the browser app, used by `npm start` (in memory, local/web-server.ts)
 * and by the CDK app (into the client's asset while `cdk synth` bundles, lib/web-hosting.ts): web/main.ts,
 * web/styles.css and web/sw.ts become app.js, styles.css and sw.js (the service worker, at the site's
 * root so that its scope is the whole app). index.html is written by `indexHtml` where it is served.
 */
export const WEB_DIR = dirname(fileURLToPath(import.meta.url));

export function webBuildOptions(outdir: string): BuildOptions & { outdir: string } {
  return {
    entryPoints: {
      app: join(WEB_DIR, 'main.ts'),
      styles: join(WEB_DIR, 'styles.css'),
      sw: join(WEB_DIR, 'sw.ts'),
    },
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
  return outdir;
}

/** web/index.html with the Content-Security-Policy for these sources (CDK tokens allowed) in its head. */
export function indexHtml(sources: CspSources): string {
  const csp = contentSecurityPolicy(sources);
  if (csp.includes('"')) throw new Error(`A Content-Security-Policy source holds a quote: ${csp}`);
  const html = readFileSync(join(WEB_DIR, 'index.html'), 'utf8');
  const charset = '<meta charset="utf-8" />';
  if (!html.includes(charset)) throw new Error(`web/index.html has no ${charset}`);
  return html.replace(
    charset,
    `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`,
  );
}
