export * from './client';
export * from './problem';
export * from './sse';
