// Japanese text writes digits, Latin letters, dashes and brackets in many widths and shapes
// (０９０ー１２３４－５６７８, ＴＫ１２３４５６７), and some kanji as compatibility code points. The structured detectors match one ASCII form
// instead: every character here maps to exactly ONE UTF-16 unit, so an offset found in the
// normalised text is the same offset in the original and spans stay exact without a map.

const DASHES = new Set([
  0x2d, // - hyphen-minus
  0x2010, // ‐ hyphen
  0x2011, // ‑ non-breaking hyphen
  0x2012, // ‒ figure dash
  0x2013, // – en dash
  0x2014, // — em dash
  0x2015, // ― horizontal bar
  0x2043, // ⁃ hyphen bullet
  0x2212, // − minus sign
  0xfe63, // ﹣ small hyphen-minus
  0xff0d, // － full-width hyphen-minus
]);

const LONG_VOWEL_MARKS = new Set([0x30fc, 0xff70]); // ー ｰ

function isDigitAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return (code >= 0x30 && code <= 0x39) || (code >= 0xff10 && code <= 0xff19);
}

function mapCode(code: number): number {
  if (code < 0x80) return code;
  // Full-width ASCII block ！..～ (digits, letters, brackets, +, .) → ASCII.
  if (code >= 0xff01 && code <= 0xff5e) return code === 0xff0d ? 0x2d : code - 0xfee0;
  if (code === 0x3000) return 0x20; // ideographic space
  if (DASHES.has(code)) return 0x2d;
  // CJK compatibility ideographs (塚 U+FA10 in 宝塚市) → the unified ideograph, when it is one unit.
  if (code >= 0xf900 && code <= 0xfaff) {
    const unified = String.fromCharCode(code).normalize('NFC');
    if (unified.length === 1) return unified.charCodeAt(0);
  }
  return code;
}

/** A regex test walks a kilobyte of ASCII about three times faster than a charCodeAt loop. */
const NON_ASCII = /[^\x00-\x7f]/;

/** Same-length ASCII form of `text` for digit/letter/dash patterns; offsets are interchangeable. */
export function normalizeWidth(text: string): string {
  // Fast path: text that is already ASCII (most prompts) is returned as is, no allocation.
  if (!NON_ASCII.test(text)) return text;
  const codes = new Array<number>(text.length);
  for (let j = 0; j < text.length; j++) {
    const code = text.charCodeAt(j);
    // ー/ｰ lengthen a katakana vowel (マイナンバー), but people also type them as the dash in
    // ０９０ー１２３４: a dash only between digits.
    codes[j] = LONG_VOWEL_MARKS.has(code) ? (isDigitAt(text, j - 1) && isDigitAt(text, j + 1) ? 0x2d : code) : mapCode(code);
  }
  let out = '';
  for (let j = 0; j < codes.length; j += 8192) out += String.fromCharCode(...codes.slice(j, j + 8192));
  return out;
}

/** The digits of a matched number, separators dropped (`090-1234-5678` → `09012345678`). */
export function digitsOf(normalized: string): string {
  return normalized.replace(/[^0-9]/g, '');
}
