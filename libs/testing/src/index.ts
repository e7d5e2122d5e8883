export * from './tokens';
export * from './wait-for';
export * from './test-data';
export * from './system';
export * from './event-collector';
export * from './compose';
export * from './prometheus';
export * from './compose-app-checks';
