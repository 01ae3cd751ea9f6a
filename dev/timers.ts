// Timer triggers: a timer function fired on demand or on its NCRONTAB schedule, whose %SETTING%
// placeholders resolve from the environment (the app settings), as on the real host.
import type { Timer } from '@azure/functions';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings } from '../shared/config/settings.js';
import { invocationContext, type HostLog } from './invocation-context.js';
import { nextOccurrence, parseNcrontab } from './ncrontab.js';
import type { TimerRegistration } from './registrations.js';

/** Replaces each %NAME% with the app setting NAME; an unset setting is an error, as on the host. */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new Error(`app setting ${name} (used by a trigger) is not set`);
    return v;
  });
}

export async function fireTimer(timer: TimerRegistration, log: HostLog): Promise<void> {
  const info = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as Timer;
  await timer.handler(info, invocationContext(timer.name, log));
}

/**
 * The app settings the local host resolves %NAME% from: the environment, where a setting the app
 * validates (shared/config/settings.ts, e.g. WATCHDOG_SCHEDULE) and the environment leaves unset
 * takes the default the app itself would use. On Azure these are app settings the deployment sets.
 */
export function localAppSettings(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const defaults = Object.entries(loadSettings(env)).filter((e): e is [string, string] => typeof e[1] === 'string' && !env[e[0]]);
  return { ...env, ...Object.fromEntries(defaults) };
}

/** Fires each timer on its schedule until the returned stop() is called (and awaited). */
export function runTimerSchedules(timers: readonly TimerRegistration[], log: HostLog): () => Promise<void> {
  let stopped = false;
  // parsed before any loop starts, so a bad schedule or a missing setting stops the host at start
  const settings = localAppSettings();
  const schedules = timers.map((t) => ({ t, schedule: parseNcrontab(resolveAppSettings(t.schedule, settings)) }));
  const loops = schedules.map(async ({ t, schedule }) => {
    while (!stopped) {
      const next = nextOccurrence(schedule, new Date());
      log(`[${t.name}] next run at ${next.toISOString()}`);
      // wake every second so stop() is quick
      while (!stopped && Date.now() < next.getTime()) await sleep(Math.min(1000, next.getTime() - Date.now()));
      if (!stopped) await fireTimer(t, log).catch((e: unknown) => log(`[${t.name}] failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}
