/**
 * Prints a dev JWT for the gateway.
 *   npm run token -- CUST01            a customer token
 *   npm run token -- CUST01 --admin    an admin token (sub CUST01, role admin)
 * Signed with JWT_SECRET (default: the dev secret), valid 24 h.
 */
import { signToken } from '@orderline/dev-tools';

const args = process.argv.slice(2);
const sub = args.find((arg) => !arg.startsWith('--'));
if (!sub) {
  console.error('usage: npm run token -- <customerId> [--admin]');
  process.exit(2);
}
console.log(signToken({ sub, role: args.includes('--admin') ? 'admin' : 'customer' }));
