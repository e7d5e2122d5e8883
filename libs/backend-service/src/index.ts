export * from './backend-service';
