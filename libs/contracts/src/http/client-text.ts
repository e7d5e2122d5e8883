import { z } from 'zod';
import { textFieldsOf } from '../orders';

/**
 * Text a client may send over HTTP: well-formed Unicode without C0 or C1 control characters
 * (U+0000–U+001F, U+007F–U+009F). Every text field of a request (body, query, path, header)
 * is built on it. Stored data and messages keep the laxer `Text`, so what was stored before
 * still parses. Refusing control characters is hygiene (they have no place in an address or an
 * id, and cost 6 bytes each in JSON), not a size bound: messages are bounded by bytes elsewhere.
 */
export const ClientText = z
  .string()
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  .regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)')
  .refine((value) => value.isWellFormed(), 'must be well-formed Unicode text');

const client = textFieldsOf(ClientText);
export const ClientCustomerId = client.id;
export const ClientProductId = client.id;
export const ClientShippingAddress = client.shippingAddress;
export const ClientOrderLines = client.orderLines;
export const ClientTrackingText = client.trackingText;
