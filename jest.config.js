/**
 * @swc/jest compiles TypeScript to CommonJS; type checking is `npm run typecheck`.
 * @kubernetes/client-node 1.x and its auth dependencies ship ESM only, so they are let
 * through the transform. Unit tests need nothing running; integration tests get the real
 * local stack from the global setup.
 */
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];

const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { module: { type: 'commonjs' }, jsc: { target: 'es2022' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120_000,
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
};
