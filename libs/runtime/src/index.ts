export * from './health-server';
export * from './shutdown';
