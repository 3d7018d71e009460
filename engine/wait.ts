// Waiting for work with a time limit, without leaving a timer behind that keeps the process alive.

/** resolves when `work` settles or after `ms`, whichever comes first; true if the work settled in time */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
