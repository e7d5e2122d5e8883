export * from './health-server';
export * from './shutdown';
export * from './backend-service';
export * from './metrics';
