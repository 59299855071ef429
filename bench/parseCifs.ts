/**
 * Times CIF parsing + OBELiX occupancy rounding over every OBELiX CIF (file reading excluded).
 * Run: node --import tsx bench/parseCifs.ts [cifDir] [repeats]
 * Prints the first (cold, includes JIT warm-up) pass and the median of the following passes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCif } from '../data/cif.js';
import { roundOccupancies } from '../data/rounding.js';

const dir = process.argv[2] ?? resolve(import.meta.dirname, '..', '..', 'shared', 'obelix', 'cifs');
const repeats = Number(process.argv[3] ?? 10);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.cif'))
  .sort();
const texts = files.map((f) => [join(dir, f), readFileSync(join(dir, f), 'utf8')] as const);

const times: number[] = [];
let atoms = 0;
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  atoms = 0;
  for (const [path, text] of texts) atoms += roundOccupancies(parseCif(text, path)).numbers.length;
  times.push(performance.now() - t0);
}
const warm = times.slice(1).sort((a, b) => a - b);
console.log(`${files.length} CIFs, ${atoms} atoms after rounding`);
console.log(
  `parse + round: first pass ${times[0].toFixed(1)} ms, median of next ${warm.length}: ${(warm[Math.floor(warm.length / 2)] ?? NaN).toFixed(1)} ms`,
);
