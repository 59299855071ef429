/**
 * The periodic table as the CIF reader and the featurisers need it: symbols by atomic number and
 * Pauling electronegativities (used only to reproduce pymatgen's site order).
 */
import { InputError } from './errors.js';

/** Element symbols, index = Z − 1, H (Z = 1) through Og (Z = 118). */
export const ELEMENTS: readonly string[] = Object.freeze(
  (
    'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr ' +
    'Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb ' +
    'Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr ' +
    'Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og'
  ).split(' '),
);

/**
 * Pauling electronegativity by Z − 1, exactly the table of pymatgen 2022.11.7 (`Element.X`), NaN
 * where pymatgen has none (He, Ne, Ar, Z > 103). Only pymatgen's site ordering depends on it.
 */
export const ELECTRONEGATIVITY: readonly number[] = Object.freeze([
  2.2,
  NaN,
  0.98,
  1.57,
  2.04,
  2.55,
  3.04,
  3.44,
  3.98,
  NaN,
  0.93,
  1.31,
  1.61,
  1.9,
  2.19,
  2.58,
  3.16,
  NaN,
  0.82,
  1.0,
  1.36,
  1.54,
  1.63,
  1.66,
  1.55,
  1.83,
  1.88,
  1.91,
  1.9,
  1.65,
  1.81,
  2.01,
  2.18,
  2.55,
  2.96,
  3.0,
  0.82,
  0.95,
  1.22,
  1.33,
  1.6,
  2.16,
  1.9,
  2.2,
  2.28,
  2.2,
  1.93,
  1.69,
  1.78,
  1.96,
  2.05,
  2.1,
  2.66,
  2.6,
  0.79,
  0.89,
  1.1,
  1.12,
  1.13,
  1.14,
  1.13,
  1.17,
  1.2,
  1.2,
  1.1,
  1.22,
  1.23,
  1.24,
  1.25,
  1.1,
  1.27,
  1.3,
  1.5,
  2.36,
  1.9,
  2.2,
  2.2,
  2.28,
  2.54,
  2.0,
  1.62,
  2.33,
  2.02,
  2.0,
  2.2,
  2.2,
  0.7,
  0.9,
  1.1,
  1.3,
  1.5,
  1.38,
  1.36,
  1.28,
  1.3,
  1.3,
  1.3,
  1.3,
  1.3,
  1.3,
  1.3,
  1.3,
  1.3,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
  NaN,
]);

const Z_OF = new Map<string, number>(ELEMENTS.map((s, i) => [s, i + 1]));

/** Z of a bare, exactly-cased element symbol ('Li'), or 0 when it is not one. */
export function lookupElement(symbol: string): number {
  return Z_OF.get(symbol) ?? 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Atomic number of an element symbol, with any oxidation-state decoration stripped:
 * 'Li', 'Li+', 'Li1+', 'O2-', 'Fe2.5+', 'Fe+3' all work. Throws `InputError` for anything else.
 */
export function atomicNumber(symbol: string): number {
  let end = 1;
  if (symbol.length > 1) {
    const c = symbol.charCodeAt(1);
    if (c >= 97 && c <= 122) end = 2; // second letter lowercase
  }
  const z = lookupElement(symbol.slice(0, end));
  if (z === 0 || !isCharge(symbol, end)) throw new InputError(`unknown element symbol '${symbol}'`);
  return z;
}

/** True when s[from..] is empty or a charge: a number (digits, optional '.') and a sign, either order, or a bare sign. */
function isCharge(s: string, from: number): boolean {
  if (from === s.length) return true;
  const sign = (k: number): boolean => s[k] === '+' || s[k] === '-';
  const signFirst = sign(from);
  let i = signFirst ? from + 1 : from;
  let digits = 0;
  while (i < s.length && (isDigit(s.charCodeAt(i)) || s[i] === '.')) {
    if (s[i] !== '.') digits++;
    i++;
  }
  if (signFirst) return i === s.length && (digits > 0 || i === from + 1); // '+', '-', '+3'
  return digits > 0 && i === s.length - 1 && sign(i); // '2-', '2.5+'
}

/** Symbol of atomic number z (1..118); throws `InputError` out of range. */
export function elementSymbol(z: number): string {
  const s = Number.isInteger(z) ? ELEMENTS[z - 1] : undefined;
  if (s === undefined) throw new InputError(`no element with atomic number ${z}`);
  return s;
}
