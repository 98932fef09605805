/**
 * The rules `$COVENANT_HOME/.covenantignore` is seeded with when it is absent (SPEC 7):
 * well-known secret files. gitignore syntax; the operator may edit the file freely.
 */
export const DEFAULT_IGNORE_RULES: readonly string[] = [
  '.env',
  '.env.*',
  '*.pem',
  '*.key',
  'id_rsa*',
  'id_ed25519*',
  '.ssh/',
  '.aws/credentials',
  'secrets.toml',
  'credentials.json',
];

export const DEFAULT_IGNORE_FILE = `# Covenant ignore rules (gitignore syntax: negation with !, anchoring with a leading /, ** for any depth).
# An intent whose text names a path matching one of these rules is refused before it reaches an agent:
# it is answered "ignored by .covenantignore rule: <rule>" and nothing but an intent_ignored audit row is written.
# Agent packages may ship their own .covenantignore to add rules; they can never un-ignore these.
# Check a text with: covenant ignore check [--agent ID] <text>
${DEFAULT_IGNORE_RULES.join('\n')}
`;
