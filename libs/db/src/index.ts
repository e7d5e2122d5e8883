export * from './prisma';
export * from './database';
export { inTransaction, poolOf, traceTransaction, type SqlClient } from './sql';
export { OutboxRepository } from './outbox-repository';
