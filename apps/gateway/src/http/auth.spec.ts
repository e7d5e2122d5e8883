import jwt from 'jsonwebtoken';
import { tokenVerifier } from './auth';

const secret = 'test-secret-0123456789';
const sign = (claims: object, expiresIn: number) => jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn });

describe('tokenVerifier', () => {
  afterEach(() => jest.useRealTimers());

  it('accepts a valid token, also from its cache, and refuses it once expired', () => {
    // a controlled clock: `exp` has whole seconds, so a real one makes "valid for 1 s" anything from 0 to 1 s
    jest.useFakeTimers({ now: new Date('2026-12-02T10:00:00.500Z') });
    const verify = tokenVerifier([secret]);
    const token = sign({ sub: 'CUST01', role: 'customer' }, 60);
    expect(verify(token)).toMatchObject({ caller: { customerId: 'CUST01', role: 'customer' } });
    jest.setSystemTime(new Date('2026-12-02T10:00:59.900Z'));
    expect(verify(token)).toMatchObject({ caller: { customerId: 'CUST01' } }); // from the cache, still valid
    jest.setSystemTime(new Date('2026-12-02T10:01:00.000Z'));
    expect(verify(token)).toEqual({ problem: 'the token has expired' });
  });

  it('refuses forged, role-less and exp-less tokens', () => {
    const verify = tokenVerifier([secret]);
    expect(verify(jwt.sign({ sub: 'A', role: 'admin' }, 'another-secret-0123456789', { expiresIn: 60 }))).toEqual({
      problem: 'the token is not valid',
    });
    expect(verify(sign({ sub: 'A' }, 60))).toEqual({ problem: 'the token lacks sub or role' });
    expect(verify(jwt.sign({ sub: 'A', role: 'admin' }, secret))).toEqual({ problem: 'the token has no expiry (exp)' });
  });

  it('during a rotation accepts tokens signed with the current or the previous key, and no other', () => {
    const previous = 'previous-secret-0123456789';
    const verify = tokenVerifier([secret, previous]);
    const signedWith = (key: string) => jwt.sign({ sub: 'CUST01', role: 'customer' }, key, { algorithm: 'HS256', expiresIn: 60 });
    expect(verify(signedWith(secret))).toMatchObject({ caller: { customerId: 'CUST01' } });
    expect(verify(signedWith(previous))).toMatchObject({ caller: { customerId: 'CUST01' } });
    expect(verify(signedWith('some-other-secret-0123456789'))).toEqual({ problem: 'the token is not valid' });
    expect(verify(jwt.sign({ sub: 'A', role: 'admin' }, previous, { expiresIn: -10 }))).toEqual({ problem: 'the token has expired' });
    // once the previous key is dropped, its tokens are refused
    expect(tokenVerifier([secret])(signedWith(previous))).toEqual({ problem: 'the token is not valid' });
  });

  it('keeps at most cacheSize tokens', () => {
    const verify = tokenVerifier([secret], 2);
    const tokens = ['A', 'B', 'C'].map((sub) => sign({ sub, role: 'customer' }, 60));
    for (const token of tokens) expect('caller' in verify(token)).toBe(true);
  });
});
