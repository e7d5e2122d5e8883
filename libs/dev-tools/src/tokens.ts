import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '@orderline/config';
import type { TokenClaims } from '@orderline/contracts';

/** Signs a token the way the gateway expects it (HS256, `sub`, `role`, `exp`). */
export function signToken(
  claims: TokenClaims,
  { secret = process.env['JWT_SECRET'] ?? DEV_JWT_SECRET, expiresInSeconds = 24 * 60 * 60 } = {},
): string {
  return jwt.sign({ role: claims.role }, secret, {
    algorithm: 'HS256',
    subject: claims.sub,
    expiresIn: expiresInSeconds,
  });
}
