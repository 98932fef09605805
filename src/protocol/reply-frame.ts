import type { z } from 'zod';
import { RequestIdSchema } from './handshake.js';

/**
 * A reply as the socket sends it: the handler's reply plus the request `id` it echoes, unless the
 * reply has an `id` of its own (a capability id), which it keeps (src/daemon/ipc-server.ts).
 */
export function replyFrameSchema(response: z.ZodObject): z.ZodObject {
  return 'id' in response.shape ? response : response.extend({ id: RequestIdSchema.optional() });
}
