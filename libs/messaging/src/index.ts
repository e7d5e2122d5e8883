export * from './lib/messaging.js';
