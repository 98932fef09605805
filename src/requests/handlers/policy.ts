import { CovenantError, quoteInput } from '../../core/index.js';
import type { HandlerGroup } from './handler.js';

export const policyHandlers: HandlerGroup<'ignore_check'> = {
  ignore_check: (params, _scope, ctx) => {
    if (params.agent !== undefined && !ctx.ignore.agentInstalled(params.agent)) {
      throw new CovenantError('E_NOT_FOUND', `no installed agent ${quoteInput(params.agent)}; see \`covenant agents list\``);
    }
    const verdict = ctx.ignore.check(params.text, params.agent ?? null);
    return {
      kind: 'ignore_report',
      ignored: verdict.ignored,
      matched_rule: verdict.matched_rule,
      source: verdict.source,
      matched_path: verdict.matched_path,
      rules_loaded: verdict.rules_loaded,
      refused_overrides: verdict.refused_overrides,
    };
  },
};
