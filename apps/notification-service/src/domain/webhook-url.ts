import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may point. Outside production anything http(s) (receivers on 127.0.0.1 in
 * development and tests); in production https only, and the host must not be, or resolve to, a
 * private, loopback, link-local or otherwise non-public address: checked when a webhook is
 * registered and again for every request (at connect time: DNS may have changed since).
 */
export interface UrlPolicy {
  production: boolean;
}

/** Why `raw` may not be a webhook's URL (syntax and scheme only), or undefined when it may. */
export function urlProblem(raw: string, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http(s)';
  if (policy.production && url.protocol !== 'https:') return 'must be https';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (!url.hostname) return 'has no host';
  if (policy.production) {
    const literal = hostAddress(url.hostname);
    if (literal && !isPublicAddress(literal)) return `must not point at a private, loopback or link-local address (${literal})`;
    if (!literal && !/\./.test(url.hostname)) return 'must name a public host (a name with a dot)';
    if (/(^|\.)localhost\.?$/i.test(url.hostname)) return 'must not point at localhost';
  }
  return undefined;
}

/** The address a URL's hostname names literally (IPv6 without brackets), or undefined for a DNS name. */
export function hostAddress(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) ? bare : undefined;
}

/** Addresses no webhook may reach in production (IANA special-purpose registries). */
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether `address` (IPv4 or IPv6 text) is a public unicast address. An IPv6 address that carries
 * an IPv4 one (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by that IPv4 address.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !nonPublic.check(address, 'ipv4');
  if (family !== 6) return false;
  const embedded = embeddedIpv4(address);
  if (embedded) return !nonPublic.check(embedded, 'ipv4');
  return !nonPublic.check(address, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped, NAT64 or 6to4 IPv6 address, else undefined. */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const ipv4 = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  const zero = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return ipv4(groups[6], groups[7]);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return ipv4(groups[6], groups[7]);
  if (groups[0] === 0x2002) return ipv4(groups[1], groups[2]);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part allowed). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

/** Resolves a host name to all its addresses (dns.lookup with all: true, as a connection would). */
export type Resolve = (hostname: string) => Promise<string[]>;

/**
 * `urlProblem`, and in production also where the host resolves: every address must be public
 * (one private address among public ones is refused: the connection may pick it).
 */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy, resolve: Resolve): Promise<string | undefined> {
  const problem = urlProblem(raw, policy);
  if (problem || !policy.production) return problem;
  const { hostname } = new URL(raw);
  if (hostAddress(hostname)) return undefined;
  let addresses: string[];
  try {
    addresses = await resolve(hostname);
  } catch (error) {
    return `has a host that does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  const refused = addresses.filter((address) => !isPublicAddress(address));
  if (addresses.length === 0) return 'has a host that does not resolve';
  return refused.length > 0 ? `has a host that resolves to a private, loopback or link-local address (${refused.join(', ')})` : undefined;
}
