export * from './kafka';
export * from './envelope';
export * from './publisher';
export * from './routes';
export * from './consumer';
export * from './request-reply';
