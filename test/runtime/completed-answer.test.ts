import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completedAnswer, parseAnswer } from '../../src/runtime/supervisor/stdio-protocol.js';

test('completedAnswer: nothing until the first non-empty line ends, then what parseAnswer of the whole output says', () => {
  const output = '\n  \n{"text":"hi","sources":["a"]}\nlater noise\n';
  const told: unknown[] = [];
  for (let end = 0; end <= output.length; end += 1) told.push(completedAnswer(output.slice(0, end)));
  const firstLineEnds = output.indexOf('\n', output.indexOf('{'));
  assert.ok(told.slice(0, firstLineEnds + 1).every((t) => t === undefined), 'undefined while the line is incomplete');
  const whole = parseAnswer(output);
  assert.ok(whole.ok);
  for (const t of told.slice(firstLineEnds + 1)) assert.deepEqual(t, whole.answer);
});

test('completedAnswer: a first line that is no answer is null, whatever follows', () => {
  assert.equal(completedAnswer('not json\n{"text":"late"}\n'), null);
  assert.equal(completedAnswer('{"call":"model.chat","id":1}\n'), null);
  assert.equal(completedAnswer('{"text":"no newline yet"}'), undefined);
});
