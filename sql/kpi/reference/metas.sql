-- Reference SQL for the Metas KPIs (docs/kpis.md#metas), against the OLTP source tables,
-- independently of the warehouse. Run by shared/kpi/reference.ts (see vendas.sql for the format).
--   :certified_to          etl.certified.certified_to (ISO instant; null = nothing certified yet)
--   :mes_de, :mes_ate      the period as months 'YYYY-MM' (the months of `from` and `to`) or null
--   :vendedor              a seller id or null
--   :ano_de, :ano_ate      the year-to-date months ('YYYY-01' .. the period's last month), for `acumulado_ano`
-- Portable to PGlite and PostgreSQL; SQL Server: the month text of a date is
-- convert(char(7), x, 126) instead of to_char(x, 'YYYY-MM'), and :certified_to casts to datetime2.
--
-- A target counts when its month starts at or before :certified_to. Realised = net revenue
-- (valor_liquido) of the seller's live items (deleted_at is null) of non-cancelled orders placed
-- in that UTC month, at or before :certified_to.

-- name: base
select
  m.vendedor_id,
  v.nome as vendedor,
  to_char(m.mes, 'YYYY-MM') as mes,                                   -- T-SQL: convert(char(7), m.mes, 126)
  m.valor_meta as meta,
  coalesce(r.realizado, 0) as realizado
from oltp.metas m
join oltp.vendedores v on v.id = m.vendedor_id
left join (
    select i.vendedor_id, to_char(p.data_pedido at time zone 'UTC', 'YYYY-MM') as mes, sum(i.valor_liquido) as realizado  -- T-SQL: convert(char(7), p.data_pedido, 126)
    from oltp.itens_pedido i
    join oltp.pedidos p on p.id = i.pedido_id
    where i.deleted_at is null
      and p.status <> 'cancelado'
      and p.data_pedido <= cast(:certified_to as timestamptz)
    group by i.vendedor_id, to_char(p.data_pedido at time zone 'UTC', 'YYYY-MM')
  ) r on r.vendedor_id = m.vendedor_id and r.mes = to_char(m.mes, 'YYYY-MM')
where m.mes <= cast(:certified_to as timestamptz)
  and (cast(:vendedor as bigint) is null or m.vendedor_id = cast(:vendedor as bigint))

-- name: por_vendedor_mes
select vendedor_id, vendedor, mes, meta, realizado, round(realizado / nullif(meta, 0), 4) as atingimento
from base
where (cast(:mes_de as varchar(7)) is null or mes >= cast(:mes_de as varchar(7)))
  and (cast(:mes_ate as varchar(7)) is null or mes <= cast(:mes_ate as varchar(7)))

-- name: tiles
select
  sum(meta) as meta,
  sum(realizado) as realizado,
  round(sum(realizado) / nullif(sum(meta), 0), 4) as atingimento,
  (select count(*) from (
     select vendedor_id from base
     where (cast(:mes_de as varchar(7)) is null or mes >= cast(:mes_de as varchar(7)))
       and (cast(:mes_ate as varchar(7)) is null or mes <= cast(:mes_ate as varchar(7)))
     group by vendedor_id having sum(meta) > 0 and sum(realizado) >= sum(meta)) a) as vendedores_acima,
  (select count(*) from (
     select vendedor_id from base
     where (cast(:mes_de as varchar(7)) is null or mes >= cast(:mes_de as varchar(7)))
       and (cast(:mes_ate as varchar(7)) is null or mes <= cast(:mes_ate as varchar(7)))
     group by vendedor_id having sum(meta) > 0 and sum(realizado) < sum(meta)) b) as vendedores_abaixo
from base
where (cast(:mes_de as varchar(7)) is null or mes >= cast(:mes_de as varchar(7)))
  and (cast(:mes_ate as varchar(7)) is null or mes <= cast(:mes_ate as varchar(7)))

-- name: ultimo_mes
select max(mes) as mes
from base
where (cast(:mes_de as varchar(7)) is null or mes >= cast(:mes_de as varchar(7)))
  and (cast(:mes_ate as varchar(7)) is null or mes <= cast(:mes_ate as varchar(7)))

-- name: acumulado_ano
select vendedor_id, vendedor, sum(meta) as meta, sum(realizado) as realizado,
       round(sum(realizado) / nullif(sum(meta), 0), 4) as atingimento
from base
where mes >= cast(:ano_de as varchar(7)) and mes <= cast(:ano_ate as varchar(7))
group by vendedor_id, vendedor
