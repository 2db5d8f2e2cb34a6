import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { build, type Plugin } from 'esbuild';
import { FUNCTIONS, type FunctionName } from '../contract/routes';
import type { Clock } from '../lambdas/core/ports';
import type { LambdaHandler } from './gateway/types';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const requireFromRepo = createRequire(join(REPO_ROOT, 'package.json'));

/** One function's code: its handler module and everything it imports from this repository. */
export interface FunctionBundle {
  readonly code: string;
  /** Where the code would live; stack traces name it. */
  readonly filename: string;
}

const ENTRY_NAMESPACE = 'local-entry';

/**
 * Each function's bundle entry: its handler, and the handlers' clock setter, so the runtime can give
 * every new instance the clock it runs on (RuntimeOptions.clock) before its first invocation.
 */
const localEntries: Plugin = {
  name: 'local-entries',
  setup(plugin) {
    plugin.onResolve({ filter: new RegExp(`^${ENTRY_NAMESPACE}:`) }, (args) => ({
      path: args.path.slice(ENTRY_NAMESPACE.length + 1),
      namespace: ENTRY_NAMESPACE,
    }));
    plugin.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, (args) => ({
      contents: [
        `export { handler } from './lambdas/handlers/${FUNCTIONS[args.path as FunctionName].entry}.ts';`,
        `export { setHandlerClock } from './lambdas/handlers/wiring/clock.ts';`,
      ].join('\n'),
      resolveDir: REPO_ROOT,
      loader: 'ts',
    }));
  },
};

/**
 * Bundles every handler with the project code it imports, as CDK bundles it for Lambda, but leaves
 * packages (the AWS SDK, zod, jose) to be loaded from node_modules: they keep no state between
 * clients, and loading them once keeps a new instance at a few milliseconds. About 150 ms for all.
 */
export async function bundleFunctions(): Promise<Map<FunctionName, FunctionBundle>> {
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  const outdir = join(REPO_ROOT, '.local-functions');
  const result = await build({
    entryPoints: Object.fromEntries(names.map((name) => [name, `${ENTRY_NAMESPACE}:${name}`])),
    plugins: [localEntries],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    outdir,
    write: false,
    logLevel: 'silent',
  });
  const bundles = new Map<FunctionName, FunctionBundle>();
  for (const name of names) {
    const filename = join(outdir, `${name}.js`);
    const file = result.outputFiles.find((output) => output.path === filename);
    if (file === undefined) throw new Error(`esbuild produced no bundle for ${name}`);
    bundles.set(name, { code: file.text, filename });
  }
  return bundles;
}

/**
 * Each bundle is compiled once: every call of the compiled function runs the bundle's body afresh, so
 * module-level values are still the instance's own, without V8 compiling 270 KB again for each instance
 * (it showed in the runtime's CPU profile under load).
 */
const compiledBundles = new WeakMap<FunctionBundle, ReturnType<typeof compileFunction>>();

function compiledOnce(bundle: FunctionBundle): ReturnType<typeof compileFunction> {
  const known = compiledBundles.get(bundle);
  if (known !== undefined) return known;
  const evaluate = compileFunction(
    bundle.code,
    ['exports', 'require', 'module', '__filename', '__dirname', 'process'],
    { filename: bundle.filename },
  );
  compiledBundles.set(bundle, evaluate);
  return evaluate;
}

/**
 * A new execution environment of a function: its bundle evaluated afresh, so every module-level value
 * (clients, caches, limiters) belongs to this instance alone, with `process.env` holding exactly the
 * environment given, as Lambda sets a function's configured variables and nothing else of the host.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 */
export function instantiate(
  bundle: FunctionBundle,
  environment: Readonly<Record<string, string>>,
  clock?: Clock,
): LambdaHandler {
  const module: { exports: Record<string, unknown> } = { exports: {} };
  const processOfInstance: NodeJS.Process = Object.create(process, {
    env: { value: { ...environment }, enumerable: true, writable: true },
  });
  compiledOnce(bundle)(
    module.exports,
    requireFromRepo,
    module,
    bundle.filename,
    dirname(bundle.filename),
    processOfInstance,
  );
  const { handler, setHandlerClock } = module.exports;
  if (typeof handler !== 'function') throw new Error(`${bundle.filename} exports no handler`);
  if (clock !== undefined && typeof setHandlerClock === 'function') setHandlerClock(clock);
  return handler as LambdaHandler;
}
