import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own runtime (servers, env, handler modules), so files run in separate processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
