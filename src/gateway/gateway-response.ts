import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

/** Header lines added to every answer of one request, whatever writes it; names in lower case. */
export type AddedHeaders = Readonly<Record<string, string>>;

/**
 * The gateway's node response: `added` (the CORS headers, chosen by the CORS check before the
 * route runs) is merged into the header object `writeHead` receives, so an answer's headers
 * are written in one `writeHead` (the node adapter's, or node's own for a bare `end()`).
 * Setting them earlier with `setHeader` cost a validated `setHeader` each, and turned the
 * adapter's `writeHead` into node's slow path (a `setHeader` per header of the answer too:
 * docs/http-gateway.md, "Speed"). The answer's own value of a header spelt alike wins, as it
 * did over `setHeader`. Headers given another way (a list) take the `setHeader` path.
 */
export class GatewayResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the CORS check; declared only, so that making a response costs no field definition. */
  declare added: AddedHeaders | undefined;

  override writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
  override writeHead(statusCode: number, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
  override writeHead(statusCode: number, first?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], second?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    const added = this.added;
    const message = typeof first === 'string' ? first : undefined;
    const headers = typeof first === 'string' ? second : first;
    if (added === undefined) return message === undefined ? super.writeHead(statusCode, headers) : super.writeHead(statusCode, message, headers);
    this.added = undefined;
    let merged: OutgoingHttpHeaders | OutgoingHttpHeader[];
    if (Array.isArray(headers)) {
      for (const name in added) if (!this.hasHeader(name)) this.setHeader(name, added[name]!);
      merged = headers;
    } else {
      // The gateway's answers never set these names themselves (a preflight, which does, gets no `added`).
      // Object.assign, not `{ ...added, ...headers }`: the spread made V8 build a new hidden class
      // (map) for every answer, 12–18 µs of CPU per request, a third of a bare route's
      // (docs/http-gateway.md, "Speed").
      merged = Object.assign({}, added, headers);
    }
    return message === undefined ? super.writeHead(statusCode, merged) : super.writeHead(statusCode, message, merged);
  }
}
