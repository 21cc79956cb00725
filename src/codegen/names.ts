// C identifiers and comments generated from ONNX names, which can hold anything.

const C_KEYWORDS = new Set(('auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while _Bool _Complex _Imaginary main').split(' '));

/** A fresh namer: every call returns a distinct valid C identifier derived from `raw`. */
export function createNamer(prefix = ''): (raw: string) => string {
  const used = new Set<string>();
  return (raw: string): string => {
    let base = raw.normalize('NFKD').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').replace(/__+/g, '_').toLowerCase();
    if (base === '') base = 't';
    if (/^[0-9]/.test(base)) base = `t${base}`;
    base = (prefix + base).slice(0, 40);
    if (C_KEYWORDS.has(base) || base.startsWith('tt_')) base = `m_${base}`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/** Text safe inside a C block comment: printable ASCII, no comment terminators, one line. */
export function commentText(raw: string, max = 80): string {
  const ascii = raw.normalize('NFKD').replace(/[^\x20-\x7e]/g, '?').replace(/\*\//g, '*_/').replace(/\/\*/g, '/_*').replace(/\\/g, '/');
  return ascii.length > max ? `${ascii.slice(0, max - 3)}...` : ascii;
}

/** A JSON/C string literal body for a short label (used in printed JSON lines). */
export function cStringLiteral(raw: string): string {
  const ascii = commentText(raw, 60).replace(/["?]/g, '_');
  return `"${ascii}"`;
}
