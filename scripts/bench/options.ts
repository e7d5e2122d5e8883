/**
 * Command-line options of `npm run bench`, with their defaults and validation.
 *   npm run bench -- --duration 60 --connections 24 --products 1000 --lines 1 --customers 49 \
 *                    [--url http://127.0.0.1:3000] --warmup 5 [--skip-pgbench]
 *   npm run bench -- --overload 2 [--capacity 3500] [--calibrate 10] [--reads 20]
 *   npm run bench -- --behind 60 [--capacity 3500] [--calibrate 10] [--reads 20]
 */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** seconds of measured load */
  duration: number;
  /** concurrent HTTP connections (autocannon, pipelining 1) */
  connections: number;
  /** draw products from PROD-0001 .. PROD-<products> */
  products: number;
  /** lines per order, distinct products */
  lines: number;
  /** customers made for the run (B<run>-1 …), used in rotation; with --overload at least enough that each is offered ≤ 25 orders/s */
  customers: number;
  /** gateway URL of a running system; when absent the bench brings the system up itself */
  url: string | undefined;
  /** seconds of load before the measured window (not counted) */
  warmup: number;
  /** skip the Postgres reference measurement */
  skipPgbench: boolean;
  /** seconds after the load ended to wait for every accepted order to become final */
  settleTimeout: number;
  /** seconds to wait before the load for leftovers in orders.commands to be consumed */
  backlogWait: number;
  /** seconds of the pgbench reference run */
  pgbenchSeconds: number;
  /** pgbench clients */
  pgbenchClients: number;
  /** overload mode: offer this multiple of the capacity at a fixed arrival rate (open loop) */
  overload: number | undefined;
  /** with --overload: the capacity in orders/s; measured by a calibration run when absent */
  capacity: number | undefined;
  /** with --overload: seconds of the closed-loop calibration run that measures the capacity */
  calibrate: number;
  /** with --overload / --behind: reads per second, during the measured window */
  reads: number;
  /** behind mode: order-management stopped this many seconds under load, then catching up; reads measured throughout */
  behind: number | undefined;
}

const USAGE = `usage: npm run bench -- [--duration 60] [--connections 24] [--products 1000] [--lines 1]
                        [--customers 49] [--url http://127.0.0.1:3000] [--warmup 5] [--skip-pgbench]
                        [--settle-timeout 120] [--backlog-wait 60] [--pgbench-seconds 10] [--pgbench-clients 16]
                        [--overload 2 [--capacity <orders/s>] [--calibrate 10] [--reads 20]]
                        [--behind 60 [--capacity <orders/s>] [--calibrate 10] [--reads 20]]`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '24' },
      products: { type: 'string', default: '1000' },
      lines: { type: 'string', default: '1' },
      customers: { type: 'string', default: '49' },
      url: { type: 'string' },
      warmup: { type: 'string', default: '5' },
      'skip-pgbench': { type: 'boolean', default: false },
      'settle-timeout': { type: 'string', default: '120' },
      'backlog-wait': { type: 'string', default: '60' },
      'pgbench-seconds': { type: 'string', default: '10' },
      'pgbench-clients': { type: 'string', default: '16' },
      overload: { type: 'string' },
      behind: { type: 'string' },
      capacity: { type: 'string' },
      calibrate: { type: 'string', default: '10' },
      reads: { type: 'string', default: '20' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const options: BenchOptions = {
    duration: int('duration', values.duration, 1, 3600),
    connections: int('connections', values.connections, 1, 4096),
    products: int('products', values.products, 1, 9999),
    lines: int('lines', values.lines, 1, 100),
    customers: int('customers', values.customers, 1, 100_000),
    url: values.url?.replace(/\/+$/, ''),
    warmup: int('warmup', values.warmup, 0, 600),
    skipPgbench: values['skip-pgbench'],
    settleTimeout: int('settle-timeout', values['settle-timeout'], 1, 3600),
    backlogWait: int('backlog-wait', values['backlog-wait'], 0, 3600),
    pgbenchSeconds: int('pgbench-seconds', values['pgbench-seconds'], 1, 600),
    pgbenchClients: int('pgbench-clients', values['pgbench-clients'], 1, 256),
    overload: values.overload === undefined ? undefined : positive('overload', values.overload, 100),
    capacity: values.capacity === undefined ? undefined : positive('capacity', values.capacity, 1_000_000),
    calibrate: int('calibrate', values.calibrate, 1, 600),
    reads: int('reads', values.reads, 0, 10_000),
    behind: values.behind === undefined ? undefined : int('behind', values.behind, 1, 600),
  };
  const special = options.overload !== undefined || options.behind !== undefined;
  if (!special && (values.capacity !== undefined || argv.includes('--calibrate') || argv.includes('--reads'))) {
    usageError('--capacity, --calibrate and --reads go with --overload or --behind');
  }
  if (options.overload !== undefined && options.behind !== undefined) usageError('--overload and --behind are separate runs');
  if (options.behind !== undefined && options.url !== undefined)
    usageError('--behind stops order-management: it needs the system the bench starts (no --url)');
  if (options.lines > options.products) usageError(`--lines (${options.lines}) must not exceed --products (${options.products})`);
  if (options.url !== undefined) {
    const host = new URL(options.url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') usageError('--url must point at 127.0.0.1 (loopback only)');
  }
  return options;
}

function int(name: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) usageError(`--${name} must be an integer in ${min}..${max}, got ${raw}`);
  return value;
}

function positive(name: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) usageError(`--${name} must be a number in (0, ${max}], got ${raw}`);
  return value;
}

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
