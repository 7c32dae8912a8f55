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
