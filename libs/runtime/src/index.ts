export * from './health-server';
export * from './shutdown';
export * from './service';
export * from './metrics';
export { isReadsThread } from './reads-thread';
