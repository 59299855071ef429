import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  constant,
  fromValues,
  makeRng,
  normal,
  ones,
  torchLinearDefault,
  uniform,
  xavierUniform,
  zeros,
} from '../../../models/layers/initializers.js';

function stats(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

test('same seed, same values; different seeds differ', () => {
  const a = normal()([50], makeRng(1));
  assert.equal(Array.from(normal()([50], makeRng(1))), Array.from(a));
  assert.not.equal(Array.from(normal()([50], makeRng(2))), Array.from(a));
  assert.equal(Array.from(uniform(-1, 1)([4], makeRng('x'))), Array.from(uniform(-1, 1)([4], makeRng('x'))));
});

test('xavier uniform: bound √(6/(in+out)), variance bound²/3', () => {
  const w = xavierUniform([100, 300], makeRng(0));
  const bound = Math.sqrt(6 / 400);
  const s = stats(w);
  assert.ok(s.min >= -bound && s.max <= bound && s.max > 0.99 * bound && s.min < -0.99 * bound, JSON.stringify(s));
  assert.ok(Math.abs(s.std - bound / Math.sqrt(3)) < 0.01 * bound, JSON.stringify(s));
  assert.throws(() => xavierUniform([5], makeRng(0)), /2-D/);
});

test('torch Linear default: U(±1/√fan_in)', () => {
  const s = stats(torchLinearDefault(64)([20000], makeRng(0)));
  assert.ok(s.min >= -0.125 && s.max <= 0.125 && s.max > 0.124, JSON.stringify(s));
  assert.ok(Math.abs(s.mean) < 0.003);
});

test('normal(0, 1) and normal(2, 0.5): sample moments', () => {
  const s = stats(normal()([20000], makeRng(3)));
  assert.ok(Math.abs(s.mean) < 0.03 && Math.abs(s.std - 1) < 0.02, JSON.stringify(s));
  const t = stats(normal(2, 0.5)([20001], makeRng(4)));
  assert.ok(Math.abs(t.mean - 2) < 0.015 && Math.abs(t.std - 0.5) < 0.01, JSON.stringify(t));
});

test('constant initialisers and fixed values', () => {
  const rng = makeRng(0);
  assert.equal(Array.from(zeros([2, 2], rng)), [0, 0, 0, 0]);
  assert.equal(Array.from(ones([3], rng)), [1, 1, 1]);
  assert.equal(Array.from(constant(2.5)([2], rng)), [2.5, 2.5]);
  assert.equal(Array.from(fromValues([1, 2, 3])([3], rng)), [1, 2, 3]);
  assert.throws(() => fromValues([1, 2])([3], rng), /2 values for shape \[3\]/);
});

test.run();
