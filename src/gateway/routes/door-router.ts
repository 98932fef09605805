import type { Result, Router } from 'hono/router';
import type { H, RouterRoute } from 'hono/types';

type Entry = [H, RouterRoute];

/**
 * A router that puts every handler it is given behind `wrap` (the gateway's front door,
 * middleware/front-door.ts), told the method and path the handler is mounted at, and answers
 * from `inner`. With the checks inside each route's handler and no middleware registered, hono
 * calls one handler per request directly instead of composing a chain; no route can be added
 * that skips the checks; and what the checks need to know of the route (public or not, who
 * reads its body) is settled once, when it is mounted, not looked up again per request. The
 * gateway adds routes only: a middleware added to its app would be wrapped as well.
 */
export class DoorRouter implements Router<Entry> {
  readonly name = 'DoorRouter';

  constructor(
    private readonly inner: Router<Entry>,
    private readonly wrap: (handler: H, method: string, path: string) => H,
  ) {}

  add(method: string, path: string, [handler, route]: Entry): void {
    this.inner.add(method, path, [this.wrap(handler, method, path), route]);
  }

  match(method: string, path: string): Result<Entry> {
    return this.inner.match(method, path);
  }
}
