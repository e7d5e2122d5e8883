import { checkWebhookUrl, isPublicAddress, urlProblem } from './webhook-url';

const production = { production: true };
const development = { production: false };

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback /8'],
    ['10.0.0.1', '10/8'],
    ['10.255.255.255', '10/8'],
    ['172.16.0.1', '172.16/12'],
    ['172.31.255.254', '172.16/12'],
    ['192.168.1.1', '192.168/16'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['0.0.0.0', 'this network'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'unique local fc00::/7'],
    ['fdff:ffff::1', 'unique local fc00::/7'],
    ['fe80::1', 'IPv6 link-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:10.1.2.3', 'IPv4-mapped 10/8'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'],
    ['2002:c0a8:0101::1', '6to4 of 192.168.1.1'],
    ['not an address', 'not an address'],
  ])('%s is not public (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '172.15.255.255', '172.32.0.1', '192.169.0.1', '11.0.0.1', '2606:4700::1111', '::ffff:93.184.216.34'])(
    '%s is public',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('urlProblem', () => {
  it('outside production takes any http(s) URL, receivers on 127.0.0.1 and localhost included', () => {
    expect(urlProblem('http://127.0.0.1:4000/hook', development)).toBeUndefined();
    expect(urlProblem('http://localhost:4000/hook', development)).toBeUndefined();
    expect(urlProblem('https://example.com/hook', development)).toBeUndefined();
    expect(urlProblem('ftp://example.com/hook', development)).toBe('must be http(s)');
    expect(urlProblem('http://user:pw@example.com/', development)).toMatch(/user name or password/);
    expect(urlProblem('nonsense', development)).toBe('not a URL');
  });

  it('in production wants https and refuses loopback, private and link-local hosts, IPv6 and mapped forms included', () => {
    expect(urlProblem('https://hooks.example.com/in', production)).toBeUndefined();
    expect(urlProblem('http://hooks.example.com/in', production)).toBe('must be https');
    for (const url of [
      'https://127.0.0.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://10.1.2.3/',
      'https://172.20.0.1/',
      'https://192.168.0.10/',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd12:3456::1]/',
      'https://[fe80::1]/',
      'https://0x7f000001/', // the URL parser reads it as 127.0.0.1
      'https://2130706433/', // likewise
    ]) {
      expect({ url, problem: urlProblem(url, production) }).toEqual({
        url,
        problem: expect.stringMatching(/private, loopback or link-local/),
      });
    }
    expect(urlProblem('https://localhost/', production)).toMatch(/public host|localhost/);
    expect(urlProblem('https://api.localhost/', production)).toMatch(/localhost/);
  });
});

describe('checkWebhookUrl', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses;

  it('in production refuses a name that resolves to any non-public address', async () => {
    expect(await checkWebhookUrl('https://hooks.example.com/', production, resolvesTo('93.184.216.34'))).toBeUndefined();
    expect(await checkWebhookUrl('https://evil.example.com/', production, resolvesTo('127.0.0.1'))).toMatch(/127\.0\.0\.1/);
    expect(await checkWebhookUrl('https://evil.example.com/', production, resolvesTo('93.184.216.34', '10.0.0.5'))).toMatch(/10\.0\.0\.5/);
    expect(await checkWebhookUrl('https://evil.example.com/', production, resolvesTo('::ffff:127.0.0.1'))).toMatch(/private/);
    const fails = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    expect(await checkWebhookUrl('https://missing.example.com/', production, fails)).toMatch(/does not resolve \(ENOTFOUND\)/);
  });

  it('outside production does not resolve at all', async () => {
    const resolve = jest.fn(resolvesTo('10.0.0.1'));
    expect(await checkWebhookUrl('http://internal.example.com/', development, resolve)).toBeUndefined();
    expect(resolve).not.toHaveBeenCalled();
  });
});
