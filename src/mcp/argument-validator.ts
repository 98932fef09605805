/**
 * Arguments of a remote tool are checked against its advertised input schema with Ajv before the
 * call leaves the daemon (SPEC 11). The dialect follows the schema's `$schema`: draft-07 (and
 * older) with Ajv's default class, 2019-09 and 2020-12 (MCP's default when `$schema` is absent)
 * with theirs. Formats are not asserted (annotations only), as JSON Schema 2020-12 specifies.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

const OPTIONS = { strict: false, allErrors: false, validateFormats: false } as const;
let engines: { draft07: Ajv; draft2019: Ajv2019; draft2020: Ajv2020 } | null = null;

function engineFor(schema: Record<string, unknown>): Ajv | Ajv2019 | Ajv2020 {
  engines ??= { draft07: new Ajv(OPTIONS), draft2019: new Ajv2019(OPTIONS), draft2020: new Ajv2020(OPTIONS) };
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-0[4-7]/.test(dialect)) return engines.draft07;
  if (dialect.includes('2019-09')) return engines.draft2019;
  return engines.draft2020;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const error = errors?.[0];
  if (!error) return 'does not match the input schema';
  const where = error.instancePath === '' ? 'arguments' : error.instancePath.slice(1).replace(/\//g, '.');
  const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
  return `${where}: ${error.message ?? 'invalid'}${extra}`;
}

/** A validator for `schema`; a schema Ajv cannot compile refuses every call, saying so. */
export function jsonSchemaValidator(schema: Record<string, unknown>): (args: unknown) => string | null {
  let validate: ValidateFunction;
  try {
    const { $id: _id, ...rest } = schema; // ids of different servers' schemas must not collide in the shared engine
    validate = engineFor(schema).compile(rest);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return () => `the tool's input schema cannot be checked (${reason}); the call is refused`;
  }
  return (args) => (validate(args) ? null : describe(validate.errors));
}
