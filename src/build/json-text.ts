// JSON as people write it in app.json: `//` and `/* */` comments are allowed (Dokku accepts
// them), and a syntax error names its line and column in the file as written.
import { UserError } from '../errors.js';

/** Parses `text` (comments allowed); a syntax error is a UserError `FILE line L column C: …`. */
export function parseJsonText(text: string, file: string): unknown {
  // Comments become spaces of the same length, so every position still points into `text`.
  const body = blankComments(text.replace(/^\uFEFF/, ''), file);
  try {
    return JSON.parse(body);
  } catch (e) {
    // V8 names the position only for some errors; find it ourselves so every message has one.
    const pos = jsonErrorPosition(body);
    const before = body.slice(0, pos).split('\n');
    const column = (before[before.length - 1]?.length ?? 0) + 1;
    const reason = (e as Error).message.replace(/,? ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    throw new UserError(`${file} line ${before.length} column ${column}: invalid JSON (${reason})`);
  }
}

/** Replaces `// …` and `/* … *\/` outside strings with spaces, keeping newlines. */
export function blankComments(text: string, file = 'JSON'): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) {
        const before = text.slice(0, i).split('\n');
        throw new UserError(`${file} line ${before.length} column ${(before[before.length - 1]?.length ?? 0) + 1}: a /* comment is never closed with */`);
      }
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the string starting at `start` (or the end of the text if it never closes). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}
/** Offset of the first character a JSON parser rejects (a minimal validating scanner). */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => (text.startsWith(word, i) ? (i += word.length) : fail());
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if ((text.charCodeAt(i) ?? 0) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m || m[0] === '' || m[0] === '-') fail();
      i += (m as RegExpExecArray)[0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (pos) {
    return Math.min(pos as number, text.length);
  }
}
