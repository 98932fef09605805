import { z } from 'zod';
import { readCoverageFile } from '../../console/index.js';
import { CovenantError } from '../../core/index.js';
import { CoverageSurfaceSchema } from '../../protocol/index.js';
import type { HandlerGroup } from './handler.js';

/** The file as SPEC 17 defines it, read leniently: fields the console does not show are dropped. */
const CoverageFileSchema = z.object({
  version: z.number().int(),
  surfaces: z.array(CoverageSurfaceSchema.pick({ id: true, name: true, status: true, mockTests: true, liveTests: true, nextGap: true }).loose()),
});

export const consoleHandlers: HandlerGroup<'console_code' | 'coverage_matrix'> = {
  console_code: (_params, { caller }, ctx) => {
    if (ctx.gatewayUrl === null) {
      throw new CovenantError('E_NOT_FOUND', 'the console is served by the HTTP gateway, which is off (covenantd --no-http); start covenantd without --no-http');
    }
    const { code, expiresAt } = ctx.console.issueCode(caller.agentId);
    return { kind: 'console_code', url: `${ctx.gatewayUrl}/#code=${code}`, code, expires_at: expiresAt };
  },
  coverage_matrix: () => {
    const parsed = CoverageFileSchema.safeParse(readCoverageFile());
    if (!parsed.success) throw new CovenantError('E_NOT_FOUND', 'this install has no readable live-coverage.json at its package root');
    return {
      kind: 'coverage_matrix',
      version: parsed.data.version,
      surfaces: parsed.data.surfaces.map((s) => ({
        id: s.id,
        name: s.name,
        status: s.status,
        mockTests: s.mockTests,
        liveTests: s.liveTests,
        nextGap: s.nextGap ?? null,
      })),
    };
  },
};
