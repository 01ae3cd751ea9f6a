// ESM + ts-jest: the app is native ESM ("type": "module"), so tests run as ESM too
// (jest is started with --experimental-vm-modules, see package.json "test").
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  // npm test runs two workers (one per core; PGlite copies cost ~300 MB each, well within 24 GB);
  // the fault suite (npm run test:faults) runs serially: it kills processes and waits on real clocks.
  testTimeout: 120000,
  // Name each engine's scenario in the output, so a CI log shows PostgreSQL really ran.
  verbose: true,
  reporters: ['default', '<rootDir>/tests/helpers/summary-reporter.js'],
};
