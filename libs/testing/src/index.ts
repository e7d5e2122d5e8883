export * from './lib/testing.js';
