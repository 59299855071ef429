/**
 * CIF 1.1 syntax: text → its `data_` blocks, each with its tags, values and line numbers.
 *
 * Handles `loop_`, single- and double-quoted values (a quote closes only when followed by
 * whitespace), `;`-delimited text fields, `#` comments, and the `?` / `.` placeholders. Loop values
 * are a token stream: a row may wrap onto the next line, and only the total count must be a
 * multiple of the number of tags. The scanner walks char codes (no regexes) because every OBELiX
 * CIF goes through it on each run.
 *
 * One departure from CIF 1.1, for old files: a quoted value that reaches the end of its line goes
 * on to the first matching quote followed by whitespace on a later line (with a warning), as long
 * as no line in between starts a tag, `loop_`, `data_` or a text field; otherwise it is an error.
 */
import { InputError } from './errors.js';

/** One value token. */
export interface CifValue {
  /** The value without quotes; a text field without its delimiting `;` lines, trimmed. */
  text: string;
  /** 1-based line where the value starts. */
  line: number;
  /** Unquoted `?` (unknown) or `.` (inapplicable). */
  missing: boolean;
}

/** A `loop_`: its tags and its values, row-major (rows × tags.length). */
export interface CifLoop {
  line: number;
  tags: string[];
  values: CifValue[];
}

/** All values of one tag: one value for a plain item, one per row for a loop column. */
export interface CifColumn {
  /** Tag as written (lookups use its lower-case form). */
  tag: string;
  /** Line of the tag. */
  line: number;
  values: CifValue[];
  loop: CifLoop | null;
}

/** Receives each warning (`source:line: message`); the CLI prints them on stderr. */
export type CifWarn = (message: string) => void;

export interface CifBlock {
  /** Block name after `data_`. */
  name: string;
  line: number;
  source: string;
  /** Lower-case tag → its column. */
  columns: Map<string, CifColumn>;
  loops: CifLoop[];
}

enum Kind {
  Value,
  Tag,
  Loop,
  Data,
  Reserved,
}

interface Token {
  kind: Kind;
  text: string;
  line: number;
  missing: boolean;
}

/** `source:line: message`, the form every CIF error takes. */
export function cifError(source: string, line: number, message: string): InputError {
  return new InputError(`${source}:${line}: ${message}`);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
}

function classify(text: string): Kind {
  const c = text.charCodeAt(0);
  if (c === 95) return Kind.Tag; // '_'
  const lower = c | 32; // reserved words start with d, l, s or g in either case
  if (text.length < 5 || (lower !== 100 && lower !== 108 && lower !== 115 && lower !== 103)) return Kind.Value;
  const head = text.slice(0, 5).toLowerCase();
  if (head === 'data_') return Kind.Data;
  if (head === 'loop_') return text.length === 5 ? Kind.Loop : Kind.Value;
  if (head === 'save_' || head === 'stop_' || text.toLowerCase().startsWith('global_')) return Kind.Reserved;
  return Kind.Value;
}

/**
 * Where a quoted value opened at `open` with quote char `q` and left open at the end of its line
 * closes on a later line: the index of the closing quote, or -1 when a line before it starts a tag,
 * `loop_`, `data_` or a text field, or the text ends first.
 */
function multiLineQuoteEnd(text: string, open: number, q: number): number {
  const n = text.length;
  let j = text.indexOf('\n', open);
  while (j >= 0 && j < n) {
    // j is a newline: look at how the next line starts
    let k = j + 1;
    if (text.charCodeAt(k) === 59) return -1; // ';' text field
    while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    const c = text.charCodeAt(k);
    const head = text.slice(k, k + 5).toLowerCase();
    if (c === 95 || head === 'loop_' || head === 'data_') return -1;
    for (; k < n && text.charCodeAt(k) !== 10; k++) {
      if (text.charCodeAt(k) === q && (k + 1 >= n || isSpace(text.charCodeAt(k + 1)))) return k;
    }
    j = k < n ? k : -1;
  }
  return -1;
}

/** Splits CIF text into tokens, all blocks. */
function tokenize(text: string, source: string, warn: CifWarn): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 35) {
      // '#': comment to end of line
      const e = text.indexOf('\n', i);
      i = e < 0 ? n : e;
      continue;
    }
    if (c === 59 && i === lineStart) {
      // ';' in column 1: text field up to the next line starting with ';'
      const end = text.indexOf('\n;', i);
      if (end < 0) throw cifError(source, line, 'unterminated ;-delimited text field');
      const body = text.slice(i + 1, end);
      tokens.push({ kind: Kind.Value, text: body.trim(), line, missing: false });
      for (let k = i; k <= end; k++) if (text.charCodeAt(k) === 10) line++;
      i = end + 2;
      lineStart = end + 1;
      continue;
    }
    if (c === 39 || c === 34) {
      // quoted: closes at the same quote followed by whitespace or end of input
      let j = i + 1;
      for (;;) {
        if (j >= n || text.charCodeAt(j) === 10) {
          const end = multiLineQuoteEnd(text, i, c);
          if (end < 0) throw cifError(source, line, `unterminated quoted value ${text.slice(i, j).trimEnd()}`);
          const startLine = line;
          for (let k = i; k < end; k++) if (text.charCodeAt(k) === 10) line++;
          lineStart = text.lastIndexOf('\n', end) + 1;
          warn(
            `${source}:${startLine}: quoted value runs over lines ${startLine}-${line} (not allowed in CIF 1.1); read to its closing quote`,
          );
          tokens.push({
            kind: Kind.Value,
            text: text.slice(i + 1, end).replace(/\r?\n[ \t]*/g, ' '),
            line: startLine,
            missing: false,
          });
          i = end + 1;
          break;
        }
        if (text.charCodeAt(j) === c && (j + 1 >= n || isSpace(text.charCodeAt(j + 1)))) {
          tokens.push({ kind: Kind.Value, text: text.slice(i + 1, j), line, missing: false });
          i = j + 1;
          break;
        }
        j++;
      }
      continue;
    }
    let j = i + 1;
    while (j < n && !isSpace(text.charCodeAt(j))) j++;
    const word = text.slice(i, j);
    const kind = classify(word);
    tokens.push({ kind, text: word, line, missing: kind === Kind.Value && (word === '?' || word === '.') });
    i = j;
  }
  return tokens;
}

function toValue(t: Token): CifValue {
  return { text: t.text, line: t.line, missing: t.missing };
}

/** Prints a warning on stderr, where it cannot mix with the JSON lines a command prints on stdout. */
export const warnOnStderr: CifWarn = (message) => {
  process.stderr.write(`warning: ${message}\n`);
};

/**
 * Parses CIF text into its data blocks, in file order. `source` (a file path) prefixes every error
 * message, together with the line: `path:12: ...`. Throws `InputError` on an empty file, text
 * outside a block, a tag without a value, a tag repeated within a block, or a loop whose value
 * count is not a multiple of its tag count. Recoverable departures from CIF 1.1 go to `warn`.
 */
export function parseCifBlocks(text: string, source: string, warn: CifWarn = warnOnStderr): CifBlock[] {
  const tokens = tokenize(text, source, warn);
  if (tokens.length === 0) throw cifError(source, 1, 'empty CIF (no data)');
  const first = tokens[0];
  if (first.kind !== Kind.Data) {
    throw cifError(source, first.line, `expected 'data_<name>' before '${first.text}'`);
  }
  const blocks: CifBlock[] = [];
  let block = newBlock(first, source);
  blocks.push(block);
  const addColumn = (tagToken: Token, values: CifValue[], loop: CifLoop | null): void => {
    const key = tagToken.text.toLowerCase();
    const prev = block.columns.get(key);
    if (prev) throw cifError(source, tagToken.line, `duplicate tag ${tagToken.text} (first at line ${prev.line})`);
    block.columns.set(key, { tag: tagToken.text, line: tagToken.line, values, loop });
  };
  let i = 1;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.kind === Kind.Tag) {
      const v = tokens[i + 1];
      if (v === undefined || v.kind !== Kind.Value) throw cifError(source, t.line, `tag ${t.text} has no value`);
      addColumn(t, [toValue(v)], null);
      i += 2;
    } else if (t.kind === Kind.Loop) {
      i = readLoop(tokens, i, block, addColumn);
    } else if (t.kind === Kind.Data) {
      block = newBlock(t, source);
      blocks.push(block);
      i++;
    } else if (t.kind === Kind.Value) {
      throw cifError(source, t.line, `value '${t.text}' without a tag`);
    } else {
      throw cifError(source, t.line, `'${t.text}' is not supported (save frames, global blocks, stop_)`);
    }
  }
  return blocks;
}

function newBlock(t: Token, source: string): CifBlock {
  return { name: t.text.slice(5), line: t.line, source, columns: new Map(), loops: [] };
}

/** The first data block of CIF text; see `parseCifBlocks`. */
export function parseCifBlock(text: string, source: string, warn: CifWarn = warnOnStderr): CifBlock {
  return parseCifBlocks(text, source, warn)[0];
}

function readLoop(
  tokens: Token[],
  start: number,
  block: CifBlock,
  addColumn: (tag: Token, values: CifValue[], loop: CifLoop | null) => void,
): number {
  const source = block.source;
  const loopToken = tokens[start];
  let i = start + 1;
  const tagTokens: Token[] = [];
  while (i < tokens.length && tokens[i].kind === Kind.Tag) tagTokens.push(tokens[i++]);
  if (tagTokens.length === 0) throw cifError(source, loopToken.line, 'loop_ without tags');
  const values: CifValue[] = [];
  while (i < tokens.length && tokens[i].kind === Kind.Value) values.push(toValue(tokens[i++]));
  const width = tagTokens.length;
  const extra = values.length % width;
  if (extra !== 0) {
    const rowStart = values[values.length - extra];
    throw cifError(
      source,
      rowStart.line,
      `loop_ (line ${loopToken.line}) has ${width} tags but its last row has ${extra} value${extra === 1 ? '' : 's'}`,
    );
  }
  const loop: CifLoop = { line: loopToken.line, tags: tagTokens.map((t) => t.text), values };
  block.loops.push(loop);
  const rows = values.length / width;
  tagTokens.forEach((tag, k) => {
    const col: CifValue[] = new Array(rows);
    for (let r = 0; r < rows; r++) col[r] = values[r * width + k];
    addColumn(tag, col, loop);
  });
  return i;
}
