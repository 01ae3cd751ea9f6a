// dim_data: one row per day, key yyyymmdd, with Brazilian Portuguese names. The loader adds
// whatever days the data needs that the calendar does not have yet.
import type { Transaction } from 'kysely';
import type { WarehouseTables } from '../../db/schema/index.js';

const MESES = ['Janeiro', 'Fevereiro', 'Março', 'Abril', 'Maio', 'Junho', 'Julho', 'Agosto', 'Setembro', 'Outubro', 'Novembro', 'Dezembro'];
const DIAS = ['Domingo', 'Segunda-feira', 'Terça-feira', 'Quarta-feira', 'Quinta-feira', 'Sexta-feira', 'Sábado'];

/** Dates outside this span are treated as bad data: their facts get the unknown date (-1). */
export const CALENDAR_MIN = '1990-01-01';
export const CALENDAR_MAX_YEARS_AHEAD = 5;

export function calendarRow(isoDate: string) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  const ano = d.getUTCFullYear();
  const mes = d.getUTCMonth() + 1;
  const dow = d.getUTCDay();
  return {
    data_key: Number(isoDate.replace(/-/g, '')),
    data: isoDate,
    ano,
    trimestre: Math.ceil(mes / 3),
    mes,
    nome_mes: MESES[mes - 1]!,
    ano_mes: isoDate.slice(0, 7),
    dia: d.getUTCDate(),
    dia_semana: dow + 1,
    nome_dia_semana: DIAS[dow]!,
    fim_de_semana: dow === 0 || dow === 6,
  };
}

/**
 * The dates the calendar must hold for these batches: from the earliest to the latest business
 * date they carry, today included.
 */
export function calendarSpan(dateRanges: readonly { min: string; max: string }[], today: string): { from: string; to: string } {
  return {
    from: dateRanges.reduce((min, r) => (r.min < min ? r.min : min), today),
    to: dateRanges.reduce((max, r) => (r.max > max ? r.max : max), today),
  };
}

/** Every day of [from, to] (ISO dates), clamped to the sane span: CALENDAR_MIN up to the end of the year CALENDAR_MAX_YEARS_AHEAD after today. */
export function calendarDays(from: string, to: string, today: Date): string[] {
  const max = `${today.getUTCFullYear() + CALENDAR_MAX_YEARS_AHEAD}-12-31`;
  const lo = from < CALENDAR_MIN ? CALENDAR_MIN : from;
  const hi = to > max ? max : to;
  const days: string[] = [];
  for (let d = new Date(`${lo}T00:00:00Z`); d.toISOString().slice(0, 10) <= hi; d.setUTCDate(d.getUTCDate() + 1)) days.push(d.toISOString().slice(0, 10));
  return days;
}

/** Inserts the missing days of [from, to] (clamped to the sane span). Returns how many were added. */
export async function ensureCalendar(trx: Transaction<WarehouseTables>, from: string, to: string, today = new Date()): Promise<number> {
  const days = calendarDays(from, to, today);
  if (days.length === 0) return 0;
  const existing = new Set(
    (
      await trx
        .selectFrom('dw.dim_data')
        .select('data_key')
        .where('data', '>=', days[0]!)
        .where('data', '<=', days[days.length - 1]!)
        .execute()
    ).map((r) => Number(r.data_key)),
  );
  const missing = days.map(calendarRow).filter((row) => !existing.has(row.data_key));
  // modest chunks: SQL Server allows at most 2100 parameters per statement
  for (let i = 0; i < missing.length; i += 150)
    await trx
      .insertInto('dw.dim_data')
      .values(missing.slice(i, i + 150))
      .execute();
  return missing.length;
}
