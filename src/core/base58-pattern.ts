// Zod- and dependency-free so the CLI's argument parsers can use it.
/** A base58 key or token, or a prefix of one: 1-64 characters of the Bitcoin alphabet. */
export const BASE58_PREFIX = /^[1-9A-HJ-NP-Za-km-z]{1,64}$/;
