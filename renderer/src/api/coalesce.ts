/**
 * Event streams that update many things a second (fifty boxes uploading)
 * are folded into the query cache in batches, not one event at a time:
 * React then renders once per batch instead of once per event.
 */

/**
 * Calls `flush` once, soon after `schedule()`: on the next animation frame,
 * or after `fallbackMs` when frames are not coming (a hidden or minimised
 * window draws none), so that the cache is never far behind.
 */
export function frameBatcher(flush: () => void, fallbackMs = 250): { schedule: () => void; cancel: () => void } {
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    cancel();
    flush();
  };
  const cancel = () => {
    if (frame !== null) cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = null;
    timer = null;
  };
  return {
    schedule: () => {
      if (frame !== null || timer !== null) return;
      frame = requestAnimationFrame(run);
      timer = setTimeout(run, fallbackMs);
    },
    cancel,
  };
}
