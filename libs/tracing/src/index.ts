export * from './spans';
export * from './tracing';
export * from './attributes';
