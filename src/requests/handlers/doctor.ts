import { runDoctor } from '../doctor.js';
import type { HandlerGroup } from './handler.js';

export const doctorHandlers: HandlerGroup<'doctor'> = {
  doctor: async (_params, _scope, ctx) => ({ kind: 'doctor_report', checks: await runDoctor(ctx) }),
};
