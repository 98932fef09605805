import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCallgrindTotals } from '../../scripts/bench/callgrind.js';

const dump = (events: string, totals: string) =>
  ['# callgrind format', 'version: 1', 'creator: callgrind-3.19.0', 'positions: line', `events: ${events}`, 'summary: 0', '', 'fl=(1) ???', 'fn=(1) main', '0 5 1 1', '', `totals: ${totals}`, ''].join('\n');

test('names each total by its event', () => {
  assert.deepEqual(parseCallgrindTotals(dump('Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim', '251265 71699 39017 13528 5329 986 38 57 598 42538 4772 1524 538')), {
    Ir: 251265,
    Dr: 71699,
    Dw: 39017,
    I1mr: 13528,
    D1mr: 5329,
    D1mw: 986,
    ILmr: 38,
    DLmr: 57,
    DLmw: 598,
    Bc: 42538,
    Bcm: 4772,
    Bi: 1524,
    Bim: 538,
  });
});

test('reads totals: (the whole dump), not summary:', () => {
  assert.deepEqual(parseCallgrindTotals(dump('Ir', '88520')), { Ir: 88520 });
});

test('refuses a file that is not a callgrind dump, or a total that is not a number', () => {
  assert.throws(() => parseCallgrindTotals('hello\n'), /not a callgrind dump/);
  assert.throws(() => parseCallgrindTotals(dump('Ir Dr', '12 x')), /not a callgrind dump/);
});
