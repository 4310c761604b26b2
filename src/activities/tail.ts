/** Bounded tails for what travels back to the workflow (history size grows with every host). */
export const RESULT_TAIL_CHARS = 1500;

export function clipTail(text: string, max = RESULT_TAIL_CHARS): string {
  return text.length > max ? `…${text.slice(text.length - max)}` : text;
}
