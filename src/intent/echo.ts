export function echoAnswer(text: string): string {
  return `phase 0 echo (no agent matched): ${text}`;
}
