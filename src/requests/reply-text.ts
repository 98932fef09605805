import type { Reply } from './execute-request.js';

/** A reply's JSON text and its length in UTF-8 bytes (what an answer's size limit reads). */
export interface ReplyJson {
  readonly text: string;
  readonly bytes: number;
}

/** The JSON of replies answered unchanged again and again, made and measured once (see `reusedReply`). */
const made = new WeakMap<object, ReplyJson>();

function jsonOf(reply: Reply): ReplyJson {
  const text = JSON.stringify(reply);
  return { text, bytes: Buffer.byteLength(text) };
}

/**
 * Marks `reply` as one a handler hands out again, unchanged, to every caller until what it
 * describes changes (the tool list: `handlers/tool-list.ts`); its JSON is then made once. The
 * handler must build a new object for a changed answer and never mutate this one.
 */
export function reusedReply<T extends Reply>(reply: T): T {
  made.set(reply, jsonOf(reply));
  return reply;
}

/** The JSON text of a reply and its size: made once for a reused reply, otherwise now. */
export function replyJson(reply: Reply): ReplyJson {
  return made.get(reply) ?? jsonOf(reply);
}
