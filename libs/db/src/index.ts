export * from './lib/db.js';
