import { scopeError, scopeRefusal, type CapabilityService } from '../capabilities/index.js';
import { CovenantError } from '../core/index.js';
import type { Authorization } from '../protocol/index.js';
import type { Authorizer } from './authorizer.js';
import type { Caller } from './caller.js';

/**
 * Operator-only requests check the caller's role (resolved from its token); everything with an
 * action checks a signed capability, which writes `capability_check` either way.
 */
export function createAuthorizer(capabilities: CapabilityService): Authorizer {
  return {
    require(caller: Caller, authorization: Authorization, requestKind: string) {
      const isOperator = caller.role === 'operator';
      if (authorization.operatorOnly && !isOperator) {
        throw new CovenantError('E_FORBIDDEN', `${requestKind} is reserved for the operator; ask the operator to run it`);
      }
      if (authorization.action === null) return;
      if (authorization.operatorPasses && isOperator) return;
      if (authorization.anyOf && authorization.anyOf.length > 0) {
        requireAny(capabilities, caller, { action: authorization.action, facts: authorization.facts }, authorization.anyOf);
        return;
      }
      capabilities.require({
        caller: caller.agentId,
        required: authorization.action,
        facts: authorization.facts,
        callerIsOperator: isOperator,
      });
    },
  };
}

type Option = { action: string; facts?: Record<string, unknown> | undefined };

/** Could the caller hold `option`? A grant covering the action whose scope admits the facts (no audit row). */
function mayHold(capabilities: CapabilityService, pubkey: string, option: Option): boolean {
  return capabilities.store
    .liveFor(pubkey, option.action, 0)
    .some((c) => scopeError(c.scope) === null && scopeRefusal(c.scope, option.facts ?? {}) === null);
}

/**
 * `Authorization.anyOf`: admitted when the caller holds the primary action or any alternative.
 * Only options the caller plausibly holds are checked (each check writes its `capability_check`
 * row), so holding `memory.read.working` gives one passing row rather than a failing
 * `memory.read` row first. A refusal writes exactly one failing row (the primary action's, when
 * nothing was plausible) and names every option.
 */
function requireAny(capabilities: CapabilityService, caller: Caller, primary: Option, alternatives: readonly Option[]): void {
  const options = [primary, ...alternatives];
  const plausible = options.filter((option) => mayHold(capabilities, caller.agentId.pubkey, option));
  for (const option of plausible) {
    const result = capabilities.check({
      caller: caller.agentId,
      required: option.action,
      facts: option.facts,
      callerIsOperator: caller.role === 'operator',
    });
    if (result.passed) return;
  }
  const check = { caller: caller.agentId, required: primary.action, facts: primary.facts, callerIsOperator: caller.role === 'operator' };
  // With nothing plausible, the one audited row is the primary action's check.
  const result = plausible.length === 0 ? capabilities.check(check) : { passed: false };
  const message = capabilities.refusalMessage(check, result, alternatives.map((a) => a.action));
  throw new CovenantError('E_CAPABILITY_MISSING', message, { audited: true });
}
