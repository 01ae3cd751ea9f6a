// The NCRONTAB subset the Functions timer trigger uses: six fields
// (second minute hour day month day-of-week), each '*', a number, a list, a range or a step.
// Times are UTC, as on the real host unless WEBSITE_TIME_ZONE is set.

const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

export type Schedule = Set<number>[];

export function parseNcrontab(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`NCRONTAB needs 6 fields (second minute hour day month day-of-week), got ${parts.length}: '${expression}'`);
  return parts.map((part, i) => {
    const { name, min, max } = FIELDS[i]!;
    const values = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(item);
      if (!m) throw new Error(`NCRONTAB ${name} field '${part}' is not understood`);
      const lo = m[1] === '*' ? min : Number(m[1]);
      const hi = m[2] !== undefined ? Number(m[2]) : m[1] === '*' || m[3] !== undefined ? max : lo;
      const step = m[3] !== undefined ? Number(m[3]) : 1;
      if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`NCRONTAB ${name} field '${part}' is out of range ${min}-${max}`);
      for (let v = lo; v <= hi; v += step) values.add(v);
    }
    return values;
  });
}

/** The first time strictly after `after` that matches (searched second by second, at most ~1 year). */
export function nextOccurrence(schedule: Schedule, after: Date): Date {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const [sec, min, hour, day, month, dow] = schedule as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  for (let i = 0; i < 370 * 24 * 60; i++) {
    if (month.has(t.getUTCMonth() + 1) && day.has(t.getUTCDate()) && dow.has(t.getUTCDay()) && hour.has(t.getUTCHours()) && min.has(t.getUTCMinutes())) {
      for (let s = t.getUTCSeconds(); s < 60; s++) if (sec.has(s)) return new Date(t.getTime() + (s - t.getUTCSeconds()) * 1000);
    }
    // jump to the start of the next minute
    t.setUTCSeconds(0);
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  throw new Error('NCRONTAB schedule never fires within a year');
}
