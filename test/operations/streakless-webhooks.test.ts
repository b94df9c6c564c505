/** The worker's memory of webhooks with no failure streak: what lets a success skip looking at the streak. */
import { StreaklessWebhooks } from '../../src/operations/delivery-outcomes';

test('a webhook is known streakless for the recheck period after a success looked, and not after one of its deliveries failed here', () => {
  let now = 1_000;
  const known = new StreaklessWebhooks(30_000, () => now);
  expect(known.has('wh_a')).toBe(false);
  known.observe('wh_a');
  now += 29_999;
  expect(known.has('wh_a')).toBe(true);
  // Past the period the next success looks again: a streak another worker started is ended then.
  now += 1;
  expect(known.has('wh_a')).toBe(false);
  known.observe('wh_a');
  expect(known.has('wh_a')).toBe(true);
  // A delivery of it failed on this worker: its next success looks at once.
  known.delete('wh_a');
  expect(known.has('wh_a')).toBe(false);
  expect(known.has('wh_b')).toBe(false);
});

test('its memory is bounded: past 100,000 webhooks it starts afresh rather than grow', () => {
  const known = new StreaklessWebhooks(30_000, () => 0);
  for (let i = 0; i < 100_000; i++) known.observe(`wh_${i}`);
  expect(known.has('wh_99999')).toBe(true);
  known.observe('wh_new');
  expect(known.has('wh_new')).toBe(true);
  expect(known.has('wh_0')).toBe(false);
});
