// C identifiers, comments and string literals generated from ONNX names, which can hold
// anything: comment delimiters, quotes, backslashes, trigraphs, newlines, preprocessor lines,
// non-ASCII text, thousands of characters. Nothing else in codegen/ may paste a raw name.
// (test/hostile-names.test.ts builds a model named this way.)

const C_KEYWORDS = new Set(('auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while _Bool _Complex _Imaginary main').split(' '));

/** Identifier bases are cut here: room for `_<dedup>_<suffix>` within C99's 63 significant characters. */
const MAX_BASE = 40;

/**
 * A fresh namer: every call returns a distinct valid C identifier derived from `raw`.
 * Codegen uses it as a base and appends `_<suffix>` (`_w`, `_p`, `_t<tile>_p`, ...), so the
 * bases must stay distinct after any suffix too: see identBase.
 */
export function createNamer(prefix = ''): (raw: string) => string {
  const used = new Set<string>();
  return (raw: string): string => {
    const base = identBase(prefix + raw);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/**
 * Lowercase ASCII, no `__` or leading `_` (reserved forms), not a keyword, outside the runtime's
 * `tt_` names. Every suffix but the tile one is a single `_word`, so two bases can only meet
 * as `x` + `_t1_p` and `x_t1` + `_p`: a base never ends in `_t<digits>`.
 */
function identBase(raw: string): string {
  let base = raw.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
  if (base === '') base = 't';
  if (/^[0-9]/.test(base)) base = `t${base}`;
  base = base.slice(0, MAX_BASE).replace(/_+$/, '');
  if (C_KEYWORDS.has(base) || /^tt(_|$)/.test(base)) base = `m_${base}`;
  if (/_t[0-9]+$/.test(base)) base = `${base}_n`;
  return base;
}

/**
 * Printable ASCII on one line: whitespace (newlines, U+2028 too) becomes a space, accents are
 * dropped, any other character is one '?' (per code point, so an emoji is one).
 */
function printable(raw: string): string {
  return raw.normalize('NFKD').replace(/\p{M}/gu, '').replace(/\s/gu, ' ').replace(/[^\x20-\x7e]/gu, '?');
}

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 3)}...` : s);

/**
 * Text safe inside a C block comment. Besides printable(): no backslash (at a line end it
 * splices the next line in), no '*' next to '/' in either order (the comment's end, or a nested
 * start that -Wcomment rejects), no "??" (with -std=c99 "??/" is a backslash).
 */
export function commentText(raw: string, max = 80): string {
  const safe = printable(raw).replace(/\\/g, '/').replace(/\*(?=\/)/g, '*_').replace(/\/(?=\*)/g, '/_').replace(/\?\?/g, '?_');
  return clip(safe, max);
}

/** A C string literal that is also a JSON string (printed in JSON lines): no escapes needed, no trigraphs. */
export function cStringLiteral(raw: string, max = 60): string {
  return `"${clip(printable(raw).replace(/[\\"?]/g, '_'), max)}"`;
}
