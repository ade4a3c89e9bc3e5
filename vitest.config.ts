import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = fileURLToPath(new URL('./packages', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the packages' sources: `@berth/x` is its index, `@berth/x/sub` the module it exports.
    alias: [
      { find: /^@berth\/core\/config$/, replacement: `${pkgs}/core/src/config/config.ts` },
      { find: /^@berth\/(api|core|server)$/, replacement: `${pkgs}/$1/src/index.ts` },
      { find: /^@berth\/(api|core|server)\/(.+)$/, replacement: `${pkgs}/$1/src/$2.ts` },
    ],
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
