/** A stored JSON object column read back, or {} when it is not one (a damaged row must not stop a reader such as the verifier). */
export function jsonObjectOrEmpty(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
