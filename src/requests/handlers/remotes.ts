import { remoteRecipientKey } from '../../a2a/index.js';
import type { HandlerGroup } from './handler.js';

export const remoteHandlers: HandlerGroup<'remotes_add' | 'remotes_list' | 'remotes_check' | 'remotes_remove'> = {
  remotes_add: async (params, { caller }, ctx) => {
    const remote = await ctx.remotes.add({ name: params.name, url: params.url, token: params.token, cardPubkey: params.card_pubkey }, caller.agentId);
    return { kind: 'remote_added', remote };
  },

  remotes_list: (_params, _scope, ctx) => ({ kind: 'remote_list', remotes: ctx.remotes.list() }),

  remotes_check: async (params, { caller }, ctx) => ({ kind: 'remotes_checked', checks: await ctx.remotes.check(params.name, caller.agentId) }),

  remotes_remove: (params, { caller }, ctx) => {
    ctx.remotes.remove(params.name, caller.agentId, () =>
      ctx.mailbox.failUnfinished(
        ctx.mailbox.store.openForRemote(remoteRecipientKey(params.name, '')),
        `remote ${JSON.stringify(params.name)} was removed (covenant remotes remove) before this task was answered`,
        ctx.identity.agentId,
        'remotes_remove',
      ),
    );
    return { kind: 'remote_removed', name: params.name };
  },
};
