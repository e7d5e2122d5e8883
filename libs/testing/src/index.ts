// The process launcher, token signing and waitFor live in @orderline/dev-tools (npm start needs them without
// the test helpers); tests keep importing them from here.
export {
  APPS,
  AppInstance,
  restockThroughApi,
  startSystem,
  signToken,
  waitFor,
  type AppName,
  type RunningSystem,
} from '@orderline/dev-tools';
export * from './test-data';
export * from './event-collector';
export * from './compose';
export * from './prometheus';
export * from './compose-app-checks';
export * from './otlp-sink';
