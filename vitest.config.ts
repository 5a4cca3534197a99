import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing but Node; `integration` starts real peers (Dovecot, an SMTP
 * server, PostgreSQL) and is named *.integration.test.ts. `npm test` runs both.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.integration.test.ts', 'node_modules/**'],
          // The CLI tests spawn intake several times per test; on a loaded 2-core machine one
          // spawn can take 5-10 s.
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Real servers on real ports: one file at a time keeps them from competing.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          // After the unit project, not beside it: two CPU-heavy groups at once on a 2-core
          // machine only make both slower, and servers start on a quieter machine.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
