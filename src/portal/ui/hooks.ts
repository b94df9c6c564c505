/** Small hooks: the route in the address's fragment, and data that refreshes itself while something is open. */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/** `#/deliveries/dl_1?status=failed` → { path: ['deliveries', 'dl_1'], params }. */
export function useRoute(): { path: string[]; params: URLSearchParams } {
  const [hash, setHash] = useState(location.hash);
  // Listening from the commit that shows the page, not after paint, and catching up on a change made before:
  // an address changed as the page appeared (a link followed at once, a script) was missed, and the page stayed.
  useLayoutEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    changed();
    return () => removeEventListener('hashchange', changed);
  }, []);
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function navigate(to: string): void {
  location.hash = to;
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => void;
}

/**
 * Loads `load()` now and whenever `key` changes; while `refreshEvery(data)` gives a number of milliseconds, loads
 * again after that long (a delivery in flight is watched until it ends). Stale answers never overwrite newer ones.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  key: string,
  refreshEvery?: (data: T) => number | undefined,
): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const mine = ++generation.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    load().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
        const after = refreshEvery?.(value);
        if (after !== undefined) timer = setTimeout(() => setTick((t) => t + 1), after);
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(err instanceof Error ? err : new Error(String(err)));
      },
    );
    return () => clearTimeout(timer);
  }, [key, tick]); // `key` names what `load` reads
  return { data, error, reload };
}
