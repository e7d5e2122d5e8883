import { z } from 'zod';
import { CustomerId } from './orders';

/** The JWT claims the gateway accepts (HS256, signed with JWT_SECRET; `exp` required). */
export const TokenClaims = z.object({
  sub: CustomerId,
  role: z.enum(['customer', 'admin']),
});
export type TokenClaims = z.infer<typeof TokenClaims>;
