import type { ParamsOf, RequestKind, ResponseOf } from '../../protocol/index.js';
import type { RequestScope } from '../scope.js';
import type { DaemonContext } from '../context.js';

export type Handler<K extends RequestKind> = (
  params: ParamsOf<K>,
  scope: RequestScope,
  ctx: DaemonContext,
) => ResponseOf<K> | Promise<ResponseOf<K>>;

/** The compiler refuses a request kind without exactly one handler. */
export type HandlerTable = { [K in RequestKind]: Handler<K> };
export type HandlerGroup<K extends RequestKind> = { [P in K]: Handler<P> };
