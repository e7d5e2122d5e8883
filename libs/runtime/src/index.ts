export * from './health-server';
export * from './shutdown';
export * from './service';
export * from './metrics';
