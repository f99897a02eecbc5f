/**
 * Hands items of an async source to a handler with at most `prefetch` unsettled at once, without waiting
 * for earlier ones: the loop only pauses (leaving the rest in the client's buffer) when the window is full.
 *
 * @module
 */

/** Starts pumping; the returned promise ends when the source ends. */
export function pump<T>(
  source: AsyncIterable<T>,
  prefetch: number,
  handle: (item: T) => Promise<void>,
  onError: (error: unknown) => void,
): { readonly done: Promise<void>; stop(): void } {
  let stopped = false;
  const window = Math.max(1, prefetch);
  let open = 0;
  let wake: (() => void) | undefined;
  const release = (): void => {
    open--;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  // One reaction per item (not .catch().finally(), which chains two more promises per message).
  const failed = (error: unknown): void => {
    onError(error);
    release();
  };
  const done = (async () => {
    try {
      for await (const item of source) {
        while (open >= window && !stopped) await new Promise<void>((resolve) => (wake = resolve));
        if (stopped) break;
        open++;
        handle(item).then(release, failed);
      }
    } catch (error) {
      if (!stopped) onError(error);
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
      const resume = wake;
      wake = undefined;
      resume?.();
    },
  };
}
