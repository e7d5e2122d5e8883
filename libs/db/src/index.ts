export * from './prisma';
export * from './database';
export { inTransaction, poolOf, type SqlClient } from './sql';
export { OutboxRepository } from './outbox-repository';
