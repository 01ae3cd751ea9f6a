// dim_data rows and the span of days the dimension load adds, without a database.
import { CALENDAR_MIN, calendarDays, calendarRow, calendarSpan } from '../../shared/pipeline/dimensions/calendar.js';

describe('calendarRow', () => {
  it('names a weekday in Portuguese, with its yyyymmdd key, quarter and month', () => {
    expect(calendarRow('2026-03-04')).toEqual({
      data_key: 20260304,
      data: '2026-03-04',
      ano: 2026,
      trimestre: 1,
      mes: 3,
      nome_mes: 'Março',
      ano_mes: '2026-03',
      dia: 4,
      dia_semana: 4,
      nome_dia_semana: 'Quarta-feira',
      fim_de_semana: false,
    });
  });

  it('counts weekdays from Sunday = 1 and marks Saturday and Sunday as the weekend', () => {
    const week = ['2026-03-01', '2026-03-02', '2026-03-06', '2026-03-07'].map(calendarRow);
    expect(week.map((r) => [r.dia_semana, r.nome_dia_semana, r.fim_de_semana])).toEqual([
      [1, 'Domingo', true],
      [2, 'Segunda-feira', false],
      [6, 'Sexta-feira', false],
      [7, 'Sábado', true],
    ]);
  });

  it('puts each month in its quarter and knows leap days', () => {
    expect(['2026-01-31', '2026-04-01', '2026-09-30', '2026-10-01', '2026-12-31'].map((d) => calendarRow(d).trimestre)).toEqual([1, 2, 3, 4, 4]);
    expect(calendarRow('2028-02-29')).toMatchObject({ data_key: 20280229, mes: 2, dia: 29, nome_mes: 'Fevereiro' });
  });
});

describe('calendarSpan', () => {
  it('covers every batch date range and today', () => {
    expect(
      calendarSpan(
        [
          { min: '2026-03-01', max: '2026-03-10' },
          { min: '2025-12-30', max: '2026-01-02' },
        ],
        '2026-06-01',
      ),
    ).toEqual({ from: '2025-12-30', to: '2026-06-01' });
    expect(calendarSpan([{ min: '2026-07-01', max: '2027-01-31' }], '2026-06-01')).toEqual({ from: '2026-06-01', to: '2027-01-31' });
  });

  it('is today alone when no batch carries dates', () => {
    expect(calendarSpan([], '2026-06-01')).toEqual({ from: '2026-06-01', to: '2026-06-01' });
  });
});

describe('calendarDays', () => {
  const today = new Date('2026-06-01T12:00:00Z');

  it('lists every day of the span, both ends included, across a month end in UTC', () => {
    expect(calendarDays('2026-02-27', '2026-03-02', today)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it('clamps dates too old or too far ahead to be real (their facts get the unknown date)', () => {
    const days = calendarDays('1900-01-01', '2099-12-31', today);
    expect(days[0]).toBe(CALENDAR_MIN);
    expect(days[days.length - 1]).toBe('2031-12-31');
  });

  it('is empty when the whole span lies outside the sane span', () => {
    expect(calendarDays('1900-01-01', '1900-12-31', today)).toEqual([]);
    expect(calendarDays('2040-01-01', '2040-01-02', today)).toEqual([]);
  });
});
