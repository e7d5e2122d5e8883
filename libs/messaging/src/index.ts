export * from './kafka';
export * from './envelope';
export * from './publisher';
export * from './routes';
export * from './consumer';
export * from './request-reply';
export * from './metrics';
export * from './restart-on-crash';
