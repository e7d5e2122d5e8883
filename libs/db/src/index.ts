export * from './prisma';
export { inTransaction, poolOf, type SqlClient } from './sql';
