import type { Reply } from './execute-request.js';

/** The JSON of replies answered unchanged again and again, made once (see `reusedReply`). */
const texts = new WeakMap<object, string>();

/**
 * Marks `reply` as one a handler hands out again, unchanged, to every caller until what it
 * describes changes (the tool list: `handlers/tool-list.ts`); its JSON is then made once. The
 * handler must build a new object for a changed answer and never mutate this one.
 */
export function reusedReply<T extends Reply>(reply: T): T {
  texts.set(reply, JSON.stringify(reply));
  return reply;
}

/** The JSON text of a reply: made once for a reused reply, otherwise now. */
export function replyText(reply: Reply): string {
  return texts.get(reply) ?? JSON.stringify(reply);
}
