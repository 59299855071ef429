import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCifBlock, parseCifBlocks } from '../../data/cifBlock.js';
import { throwsInputError } from '../helpers/inputError.js';

const texts = (block: ReturnType<typeof parseCifBlock>, tag: string): (string | null)[] =>
  block.columns.get(tag)?.values.map((v) => (v.missing ? null : v.text)) ?? [];

test('items, quotes, comments, placeholders and line numbers', () => {
  const b = parseCifBlock(
    [
      '# header comment',
      'data_test_block',
      "_name_a   'quoted value with spaces'   # trailing comment",
      '_name_b   "double \'quoted\'"',
      "_name_c   'it''s'", // a quote inside: closes only before whitespace
      '_Mixed_Case  plain#notacomment',
      '_unknown ?',
      '_inapplicable .',
      "_quoted_q '?'",
    ].join('\n'),
    'mem.cif',
  );
  assert.is(b.name, 'test_block');
  assert.is(b.line, 2);
  assert.equal(texts(b, '_name_a'), ['quoted value with spaces']);
  assert.is(b.columns.get('_name_a')?.values[0].line, 3);
  assert.equal(texts(b, '_name_b'), ["double 'quoted'"]);
  assert.equal(texts(b, '_name_c'), ["it''s"]);
  assert.equal(texts(b, '_mixed_case'), ['plain#notacomment']);
  assert.is(b.columns.get('_mixed_case')?.tag, '_Mixed_Case');
  assert.equal(texts(b, '_unknown'), [null]);
  assert.equal(texts(b, '_inapplicable'), [null]);
  assert.equal(texts(b, '_quoted_q'), ['?']);
});

test('semicolon text fields span lines and keep the line count right', () => {
  const b = parseCifBlock(
    ['data_x', '_title', ';First line', '  second line', ';', '_after 42'].join('\r\n'),
    'mem.cif',
  );
  assert.is(b.columns.get('_title')?.values[0].text, 'First line\r\n  second line');
  assert.is(b.columns.get('_title')?.values[0].line, 3);
  assert.is(b.columns.get('_after')?.values[0].line, 6);
});

test('loops: columns, rows wrapping onto the next line, and a second data block ignored', () => {
  const b = parseCifBlock(
    [
      'data_one',
      'loop_',
      ' _atom_site_label',
      ' _atom_site_fract_x',
      ' _atom_site_occupancy',
      '  Li1  0.1  0.5',
      '  Al2  0.2', // row wraps
      '  0.39360639360639366',
      "  'O 3' 0.3 1.0  Li4 0.4 ?", // two rows on one line
      '_cell_length_a 5',
      'data_two',
      '_cell_length_a 6',
    ].join('\n'),
    'mem.cif',
  );
  assert.equal(texts(b, '_atom_site_label'), ['Li1', 'Al2', 'O 3', 'Li4']);
  assert.equal(texts(b, '_atom_site_occupancy'), ['0.5', '0.39360639360639366', '1.0', null]);
  assert.equal(
    b.columns.get('_atom_site_occupancy')?.values.map((v) => v.line),
    [6, 8, 9, 9],
  );
  assert.is(b.loops.length, 1);
  assert.is(b.columns.get('_atom_site_label')?.loop, b.loops[0]);
  assert.equal(texts(b, '_cell_length_a'), ['5']);
});

test('all blocks in file order; a tag may repeat across blocks; a trailing loop_ without values is empty', () => {
  const blocks = parseCifBlocks(
    ['data_head', '_title x', 'data_one', '_cell_length_a 5', 'data_two', '_cell_length_a 6', 'loop_', '_a', '_b'].join(
      '\n',
    ),
    'm.cif',
  );
  assert.equal(
    blocks.map((b) => [b.name, b.line]),
    [
      ['head', 1],
      ['one', 3],
      ['two', 5],
    ],
  );
  assert.equal(
    blocks.map((b) => texts(b, '_cell_length_a')),
    [[], ['5'], ['6']],
  );
  assert.equal(texts(blocks[2], '_a'), []);
});

test('a quoted value over several lines: read to the quote before whitespace, with one warning; else an error', () => {
  const warnings: string[] = [];
  const b = parseCifBlock(['data_x', "_title 'first line", "  it's the second'", '_after 1'].join('\n'), 'q.cif', (m) =>
    warnings.push(m),
  );
  assert.equal(texts(b, '_title'), ["first line it's the second"]);
  assert.is(b.columns.get('_title')?.values[0].line, 2);
  assert.is(b.columns.get('_after')?.values[0].line, 4);
  assert.equal(warnings, [
    'q.cif:2: quoted value runs over lines 2-3 (not allowed in CIF 1.1); read to its closing quote',
  ]);
  // a tag, loop_, data_ or text field before the closing quote: not recoverable
  for (const next of ['_b 2', 'loop_', 'data_y', ';text']) {
    throwsInputError(
      () => parseCifBlock(['data_x', "_a 'open", next, "close'"].join('\n'), 'u.cif', () => {}),
      'u.cif:2:',
      "unterminated quoted value 'open",
    );
  }
});

test('malformed input names the source and the line', () => {
  throwsInputError(() => parseCifBlock('', 'empty.cif'), 'empty.cif:1:', 'empty');
  throwsInputError(() => parseCifBlock('  # only a comment\n\n', 'c.cif'), 'c.cif:1:', 'empty');
  throwsInputError(() => parseCifBlock('_a 1\n', 'n.cif'), 'n.cif:1:', 'data_');
  throwsInputError(() => parseCifBlock('data_x\n_a\n_b 2\n', 'v.cif'), 'v.cif:2:', '_a has no value');
  throwsInputError(() => parseCifBlock('data_x\n_a 1\n_b 2\n_a 3\n', 'd.cif'), 'd.cif:4:', 'duplicate tag _a');
  throwsInputError(() => parseCifBlock("data_x\n_a 'open\n", 'q.cif'), 'q.cif:2:', 'unterminated quoted');
  throwsInputError(() => parseCifBlock('data_x\n_a\n;text\nno end\n', 't.cif'), 't.cif:3:', 'unterminated ;');
  throwsInputError(() => parseCifBlock('data_x\n_a 1 2\n', 's.cif'), 's.cif:2:', "value '2' without a tag");
  throwsInputError(() => parseCifBlock('data_x\nloop_\n1 2\n', 'l.cif'), 'l.cif:2:', 'loop_ without tags');
  throwsInputError(
    () => parseCifBlock('data_x\nloop_\n_a\n_b\n_c\n1 2 3\n4 5 6\n7\n8\n_d 1\n', 'w.cif'),
    'w.cif:8:',
    'has 3 tags but its last row has 2 values',
  );
  throwsInputError(() => parseCifBlock('data_x\nsave_frame\n', 'f.cif'), 'f.cif:2:', 'save_frame');
});

test.run();
