/**
 * Secret masking and bounded output capture. Output is masked as it arrives, before it is kept or
 * handed to a callback, so no tail, log line or error built from it can carry a secret value.
 */
import { StringDecoder } from 'node:string_decoder';

export const MASK = '***';

export class Masker {
  private secrets: string[] = [];

  /** Register values to hide; empty strings are ignored (they would match everywhere). */
  add(...values: Array<string | undefined>): this {
    for (const v of values) if (v && !this.secrets.includes(v)) this.secrets.push(v);
    // Longest first so a secret that contains another is hidden whole.
    this.secrets.sort((a, b) => b.length - a.length);
    return this;
  }

  get longest(): number {
    return this.secrets[0]?.length ?? 0;
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }
}

/**
 * Masks a stream that arrives in arbitrary chunks. A secret may straddle two chunks, so text is
 * released only up to the last newline, or (for a long line) all but the last `longest - 1`
 * characters, which could be the start of a secret still arriving.
 */
export class MaskedStream {
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly masker: Masker,
    private readonly emit: (text: string) => void,
    private readonly maxPending = 4096,
  ) {}

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const nl = this.pending.lastIndexOf('\n');
    if (nl >= 0) {
      this.release(nl + 1);
    } else if (this.pending.length > this.maxPending) {
      this.pending = this.masker.mask(this.pending);
      this.release(Math.max(0, this.pending.length - Math.max(0, this.masker.longest - 1)));
    }
  }

  end(): void {
    this.pending += this.decoder.end();
    this.release(this.pending.length);
  }

  private release(upTo: number): void {
    if (upTo <= 0) return;
    const out = this.masker.mask(this.pending.slice(0, upTo));
    this.pending = this.pending.slice(upTo);
    if (out) this.emit(out);
  }
}

/** The last `maxChars` characters and at most `maxLines` lines of a stream. */
export class Tail {
  private buf = '';

  constructor(
    private readonly maxChars = 64 * 1024,
    private readonly maxLines = 200,
  ) {}

  push(text: string): void {
    this.buf += text;
    // Trim lazily: amortised O(1) per character instead of slicing on every chunk.
    if (this.buf.length > 2 * this.maxChars) this.buf = this.buf.slice(-this.maxChars);
  }

  text(): string {
    const chars = this.buf.slice(-this.maxChars);
    const lines = chars.split('\n');
    // A trailing newline leaves an empty last element that is not a line of its own.
    const keep = this.maxLines + (lines[lines.length - 1] === '' ? 1 : 0);
    return lines.length > keep ? lines.slice(-keep).join('\n') : chars;
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Replace `{{name}}` from `runtime`; returns undefined-name list instead of guessing. */
export function substitute(word: string, runtime: Readonly<Record<string, string>>): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = word.replace(PLACEHOLDER, (whole, name: string) => {
    if (Object.prototype.hasOwnProperty.call(runtime, name)) return runtime[name] as string;
    missing.push(name);
    return whole;
  });
  return { value, missing };
}
