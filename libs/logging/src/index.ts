export * from './lib/logging.js';
