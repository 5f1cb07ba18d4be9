/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/contract/test',
    '<rootDir>/controller/test',
    '<rootDir>/proxy/test',
    '<rootDir>/e2e/test',
  ],
  extensionsToTreatAsEsm: ['.ts'],
  // Tests run against sources: workspace packages map to their src, relative .js imports to .ts.
  moduleNameMapper: {
    '^@portcullis/(contract|controller|proxy)$': '<rootDir>/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': '@swc/jest' },
  testTimeout: 30000,
};
