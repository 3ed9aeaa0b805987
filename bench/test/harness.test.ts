// The bench's statistics: a median is the middle value, or the mean of the two middle ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { median, sample } from '../src/harness.ts';

test('median of odd and even counts (an even count is not read as its lower middle value)', () => {
  assert.is(sample([3, 1, 2]).median, 2);
  assert.is(sample([4, 1, 3, 2]).median, 2.5);
  assert.is(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
  const s = sample([10, 30, 20, 40]);
  assert.equal([s.min, s.max, s.median], [10, 40, 25]);
});

test.run();
