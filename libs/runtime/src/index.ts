export * from './health-server';
export * from './shutdown';
export * from './metrics';
