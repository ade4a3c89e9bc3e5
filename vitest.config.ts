import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@berth/core': src('core'),
      // The dashboard's one runtime import from the api package (first: the next line is a prefix).
      '@berth/api/api-error': fileURLToPath(new URL('./packages/api/src/api-error.ts', import.meta.url)),
      '@berth/api': src('api'),
      '@berth/server': src('server'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      // The dashboard's component tests pick jsdom per file (`// @vitest-environment jsdom`).
      'packages/web/src/**/*.test.tsx',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores and one engine: run files two at a time so timings stay sane.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
