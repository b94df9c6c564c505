/** SingleFlight (pure): a call joins the run of its key in flight, never one that ended or grew too old. */
import { SingleFlight } from '../../src/activities/single-flight';

function deferred() {
  let resolve: (value: string) => void = () => undefined;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

test('a call for a key in flight joins it; other keys and later calls run their own', async () => {
  const joined: string[] = [];
  const flight = new SingleFlight<string>({ maxJoinMs: 60_000, onJoin: (key) => joined.push(key) });
  const first = deferred();
  let runs = 0;
  const work = (d: ReturnType<typeof deferred>) => () => {
    runs++;
    return d.promise;
  };
  const a = flight.run('page-1', work(first));
  const b = flight.run('page-1', work(deferred()));
  const other = flight.run('page-2', work(deferred()));
  expect(runs).toBe(2);
  expect(joined).toEqual(['page-1']);
  first.resolve('written');
  expect(await Promise.all([a, b])).toEqual(['written', 'written']);
  await expect(flight.run('page-1', () => Promise.resolve('again'))).resolves.toBe('again');
  void other;
});

test('a joined run that fails fails its joiners too, and the next call runs anew', async () => {
  const flight = new SingleFlight<string>({ maxJoinMs: 60_000 });
  const failing = flight.run('k', () => Promise.reject(new Error('store down')));
  const joined = flight.run('k', () => Promise.resolve('not run'));
  await expect(failing).rejects.toThrow('store down');
  await expect(joined).rejects.toThrow('store down');
  await expect(flight.run('k', () => Promise.resolve('fresh'))).resolves.toBe('fresh');
});

test('a run older than maxJoinMs is not joined (it may hang): the call runs its own', async () => {
  let clock = 0;
  const flight = new SingleFlight<string>({ maxJoinMs: 1_000, now: () => clock });
  const hung = flight.run('k', () => new Promise<string>(() => undefined));
  clock = 1_500;
  await expect(flight.run('k', () => Promise.resolve('second try'))).resolves.toBe('second try');
  void hung;
});
