const { readFileSync } = require('fs');

// Reading the SWC compilation config for the spec files
const swcJestConfig = JSON.parse(readFileSync(`${__dirname}/.spec.swcrc`, 'utf-8'));

// Disable .swcrc look-up by SWC core because we're passing in swcJestConfig ourselves
swcJestConfig.swcrc = false;

/** The development tools' own specs (against the real Kafka and Postgres, like the libs'). */
module.exports = {
  displayName: 'scripts',
  preset: '../jest.preset.js',
  testEnvironment: 'node',
  // only the tools' specs: bench/ and faults/ have none
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/*.spec.ts'],
  transform: {
    '^.+\\.[tj]s$': ['@swc/jest', swcJestConfig],
  },
  moduleFileExtensions: ['ts', 'js'],
  coverageDirectory: 'test-output/jest/coverage',
};
