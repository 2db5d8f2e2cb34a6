import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The folders tell the architecture (docs/architecture.md), and no import runs back up a layer:
 * the contract depends on nothing of ours; the core only on the contract; adapters on the core's
 * ports and the contract; handlers wire them together. The clients share the contract and never
 * reach into lambdas/.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** For each layer, the folders its modules may import from (besides their own and packages). */
const ALLOWED: Record<string, readonly string[]> = {
  contract: ['contract'],
  'lambdas/core': ['contract', 'lambdas/core'],
  'lambdas/adapters': ['contract', 'lambdas/core', 'lambdas/adapters'],
  'lambdas/handlers': ['contract', 'lambdas/core', 'lambdas/adapters', 'lambdas/handlers'],
  client: ['contract', 'client'],
  web: ['contract', 'client', 'web'],
};

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

function relativeImports(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)];
  return specifiers.map((match) => relative(ROOT, resolve(ROOT, dirname(file), match[1] ?? '')));
}

const layerOf = (path: string) =>
  Object.keys(ALLOWED)
    .filter((layer) => path === layer || path.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];

describe('layers', () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer}/ imports only from ${allowed.join(', ')}`, () => {
      const files = sourceFiles(layer);
      expect(files.length).toBeGreaterThan(0);
      const violations = files.flatMap((file) =>
        relativeImports(file)
          .filter((target) => !allowed.includes(layerOf(target) ?? target.split('/')[0] ?? ''))
          .map((target) => `${file} -> ${target}`),
      );
      expect(violations).toEqual([]);
    });
  }
});
