export * from './lib/contracts.js';
