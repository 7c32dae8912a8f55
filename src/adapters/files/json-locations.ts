/**
 * Where each value of a JSON text starts (line and column, 1-based), keyed by its path ("battery.capacityKwh",
 * "strategies.1.kind"), so validation errors can point into the file. Assumes the text already parsed as JSON.
 */
export interface TextPosition {
  line: number;
  column: number;
}

export function jsonValueLocations(text: string): Map<string, TextPosition> {
  const out = new Map<string, TextPosition>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    out.set(path, positionOf(text, i));
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const key = str();
        ws();
        i++; // :
        value(path ? `${path}.${key}` : key);
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let k = 0; ; k++) {
        value(path ? `${path}.${k}` : String(k));
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && /[^,\]}\s]/.test(text[i])) i++;
    }
  };
  try {
    value('');
  } catch {
    // positions are a courtesy: a text this scanner cannot follow just yields fewer of them
  }
  return out;
}

export function positionOf(text: string, offset: number): TextPosition {
  let line = 1;
  let last = -1;
  for (let k = 0; k < offset && k < text.length; k++) if (text[k] === '\n') { line++; last = k; }
  return { line, column: offset - last };
}

/**
 * A short description and the position of a JSON.parse failure. V8 names the position only for some errors
 * ("Unexpected token" quotes the text instead, which may be kilobytes of binary): the position is then found by
 * bisecting for the shortest prefix that already fails before its end.
 */
export function jsonSyntaxError(text: string, error: Error): TextPosition & { message: string } {
  const reason = error.message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .slice(0, 120);
  return { message: reason, ...positionOf(text, syntaxErrorOffset(text, error.message)) };
}

function positionInMessage(message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function syntaxErrorOffset(text: string, message: string): number {
  const at = positionInMessage(message);
  if (at !== undefined) return at;
  if (/Unexpected end/.test(message)) return text.length;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (failsBeforeEnd(text.slice(0, mid + 1))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function failsBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const message = (error as Error).message;
    if (/Unexpected end/.test(message)) return false;
    const at = positionInMessage(message);
    return at === undefined || at < prefix.length;
  }
}
