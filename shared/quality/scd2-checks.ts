// The history of an SCD2 dimension (dim_cliente, dim_produto), member by member, as
// dimensions/scd.ts builds it: versions valid over [valid_from, valid_to) that follow each other
// without overlap or gap (a closed version ends where the next begins, at the source's
// updated_at), starting at FAR_PAST (so older facts find the member) and ending at FAR_FUTURE,
// with exactly one current row, the open-ended one. The fact load's point-in-time lookup finds
// exactly one version for any instant only when all of this holds.
//
// One row per member that breaks a rule, with how many versions break each; a run checks every
// version of the members it wrote a version of. Over the whole dimension only the members with a
// version other than "FAR_PAST to FAR_FUTURE, current" are walked: a member whose every version is
// that one has exactly one version (two would share valid_from, which uq_dim_<dim>_version
// forbids) and it passes every rule, so leaving it out changes no result, and the check reads the
// few members with a history instead of ordering every version of every member.
import { sql } from 'kysely';
import { FAR_FUTURE, FAR_PAST } from '../pipeline/dimensions/scd.js';
import { countWhere, overWholeWarehouse, type FailingRowsDef, type Untyped } from './failing-rows.js';

function scd2Integrity(dim: 'cliente' | 'produto'): FailingRowsDef {
  const table = `dw.dim_${dim}`;
  const id = `${dim}_id`;
  return {
    name: `dim_${dim}_scd2_integrity`,
    severity: 'blocking',
    phase: 'dimensions',
    tables: [table],
    description:
      `${table}: per ${id}, exactly one current version; versions valid_from < valid_to, consecutive without overlap or gap ` +
      `(next valid_from = previous valid_to), the first from ${FAR_PAST.toISOString().slice(0, 10)}, the current one open-ended ` +
      `(valid_to ${FAR_FUTURE.toISOString().slice(0, 10)})`,
    unit: 'members with a broken history',
    expected: '0 members',
    keys: [id],
    problems: [
      { label: 'without exactly one current version', where: (eb) => eb('f.current_versions', '<>', 1) },
      { label: 'with an empty or reversed validity', where: (eb) => eb('f.empty_ranges', '>', 0) },
      { label: 'with overlapping versions', where: (eb) => eb('f.overlaps', '>', 0) },
      { label: 'with a gap between versions', where: (eb) => eb('f.gaps', '>', 0) },
      { label: 'whose history does not start at FAR_PAST', where: (eb) => eb('f.late_starts', '>', 0) },
      { label: 'whose current or last version is not open-ended', where: (eb) => eb('f.not_open_ended', '>', 0) },
    ],
    failingRows: (typed, runId) => {
      const db: Untyped = typed;
      const member = sql.ref(`d.${id}`);
      const from = sql.ref('d.valid_from');
      let versions = db
        .selectFrom(`${table} as d`)
        .select([
          `d.${id} as member`,
          'd.valid_from',
          'd.valid_to',
          'd.is_current',
          sql<number>`row_number() over (partition by ${member} order by ${from})`.as('version_no'),
          sql<Date>`lead(${from}) over (partition by ${member} order by ${from})`.as('next_from'),
        ]);
      if (runId !== undefined) versions = versions.where(`d.${id}`, 'in', db.selectFrom(table).select(id).where('run_id', '=', runId));
      else
        versions = versions.where(
          `d.${id}`,
          'in',
          db
            .selectFrom(table)
            .select(id)
            .where((eb) => eb.or([eb('is_current', '<>', true), eb('valid_from', '<>', FAR_PAST), eb('valid_to', '<>', FAR_FUTURE)])),
        );
      const members = db
        .selectFrom(versions.as('v'))
        .groupBy('v.member')
        .select((eb) => [
          `v.member as ${id}`,
          eb.fn.countAll().as('versions'),
          countWhere(eb, eb('v.is_current', '=', true)).as('current_versions'),
          countWhere(eb, eb('v.valid_from', '>=', eb.ref('v.valid_to'))).as('empty_ranges'),
          countWhere(eb, eb('v.next_from', '<', eb.ref('v.valid_to'))).as('overlaps'),
          countWhere(eb, eb('v.next_from', '>', eb.ref('v.valid_to'))).as('gaps'),
          countWhere(eb, eb.and([eb('v.version_no', '=', 1), eb('v.valid_from', '<>', FAR_PAST)])).as('late_starts'),
          countWhere(eb, eb.and([eb.or([eb('v.is_current', '=', true), eb('v.next_from', 'is', null)]), eb('v.valid_to', '<>', FAR_FUTURE)])).as(
            'not_open_ended',
          ),
        ]);
      return db
        .selectFrom(members.as('m'))
        .selectAll()
        .where((eb) =>
          eb.or([eb('m.current_versions', '<>', 1), ...['empty_ranges', 'overlaps', 'gaps', 'late_starts', 'not_open_ended'].map((c) => eb(`m.${c}`, '>', 0))]),
        );
    },
  };
}

/**
 * In each dimension load, over the members it versioned; after the fact load, over every member
 * (a history only the dimension load writes, but the whole-warehouse pass is what certifies it).
 */
const IN_THE_DIMENSION_LOAD = [scd2Integrity('cliente'), scd2Integrity('produto')];
export const SCD2_CHECKS: readonly FailingRowsDef[] = [...IN_THE_DIMENSION_LOAD, ...IN_THE_DIMENSION_LOAD.map(overWholeWarehouse)];
