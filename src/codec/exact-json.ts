import { InvalidValueError } from '../errors.js';

// A JSON number token outside strings (strings are skipped whole, escapes included).
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * `JSON.parse(text)`, refusing text whose numbers a JavaScript double cannot hold exactly:
 * `12345678901234567890` would silently become `12345678901234567000`. Throws
 * {@link InvalidValueError} naming the number and what it would become; a SyntaxError for text
 * that is not JSON, as JSON.parse does.
 */
export function parseJsonExactly(text: string): unknown {
  const value: unknown = JSON.parse(text);
  for (const [token] of text.matchAll(TOKEN)) {
    if (token.startsWith('"')) continue;
    const stored = String(Number(token));
    if (decimalValue(token) !== decimalValue(stored))
      throw new InvalidValueError(
        `the number ${token} would be stored as ${stored} (JSON numbers are doubles in JavaScript); store it as a string instead`,
      );
  }
  return value;
}

// The exact decimal value of a numeric string, as `<digits>e<exponent>` without redundant zeros.
function decimalValue(text: string): string {
  if (!/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(text)) return `not finite: ${text}`;
  const negative = text.startsWith('-');
  const [mantissa = '', exponent = '0'] = text.replace('-', '').split(/e/i);
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = (whole + fraction).replace(/^0+/, '');
  let exp = Number(exponent) - fraction.length;
  if (digits === '') return '0'; // -0 is stored as 0 by JSON: the same number
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp += 1;
  }
  return `${negative ? '-' : ''}${digits}e${exp}`;
}
