// Which licences the training corpus may come from: MIT (Expat), BSD, Apache-2.0, ISC, PSF.
const PERMITTED = /\b(MIT|Expat|BSD|0BSD|Apache|ISC|PSF|Python-2)\b/i;
/** Anything else named in an expression: copyleft, public-domain-ish and other licences we do not take. */
const OTHER = /\b(L?GPL|AGPL|MPL|EPL|CDDL|SSPL|BUSL|CC-BY-SA|Zlib|CC0|WTFPL|BSL|Unlicense|Commercial)\b/i;

/** A licence expression is kept when it is permitted, or offers a permitted alternative (`MIT or GPL`). */
export function permissive(lic) {
  if (!lic || !PERMITTED.test(lic)) return false;
  const alternatives = lic.split(/\bor\b|\|\|/i);
  return alternatives.some((p) => PERMITTED.test(p) && !OTHER.test(p));
}
