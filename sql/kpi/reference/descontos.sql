-- Reference SQL for the Descontos/ROI KPIs (docs/kpis.md#descontos), against the OLTP source
-- tables, independently of the warehouse. Run by shared/kpi/reference.ts (see vendas.sql for the
-- format and the parameters, the same here). Portable to PGlite and PostgreSQL; SQL Server: the
-- UTC day of a timestamp is cast(p.data_pedido as date) and :certified_to casts to datetime2.
--
-- A discounted item is a live item (deleted_at is null) with a campaign or a discount > 0, of a
-- non-cancelled order placed at or before :certified_to. Campaign cost: campanhas.custo, once per
-- campaign with a discounted item in the selection (0 for items without a campaign).
-- ROI = (margem of the campaign's discounted items - custo da campanha) / custo da campanha.

-- name: base
select
  coalesce(i.campanha_id, 0) as campanha_id,
  coalesce(cam.nome, 'Sem campanha') as campanha,
  coalesce(cam.custo, 0) as custo,
  case when i.campanha_id is not null or i.valor_desconto > 0 then 1 else 0 end as com_desconto,
  i.valor_bruto,
  i.valor_desconto,
  i.valor_liquido,
  i.valor_liquido - i.custo_total as margem,
  case
    when i.valor_desconto <= 0 then 'sem desconto'
    when i.valor_bruto <= 0 then '30%+'
    when i.valor_desconto / i.valor_bruto < 0.05 then '0-5%'
    when i.valor_desconto / i.valor_bruto < 0.10 then '5-10%'
    when i.valor_desconto / i.valor_bruto < 0.20 then '10-20%'
    when i.valor_desconto / i.valor_bruto < 0.30 then '20-30%'
    else '30%+'
  end as faixa
from oltp.itens_pedido i
join oltp.pedidos p on p.id = i.pedido_id
join oltp.produtos pr on pr.id = i.produto_id
left join oltp.campanhas cam on cam.id = i.campanha_id
where i.deleted_at is null
  and p.status <> 'cancelado'
  and p.data_pedido <= cast(:certified_to as timestamptz)                   -- T-SQL: datetime2
  and (cast(:from as date) is null or cast(p.data_pedido at time zone 'UTC' as date) >= cast(:from as date))  -- T-SQL: cast(p.data_pedido as date)
  and (cast(:to as date) is null or cast(p.data_pedido at time zone 'UTC' as date) <= cast(:to as date))
  and (cast(:categoria as bigint) is null or pr.categoria_id = cast(:categoria as bigint))
  and (cast(:estado as varchar(60)) is null or p.estado_entrega = cast(:estado as varchar(60)))
  and (cast(:vendedor as bigint) is null or i.vendedor_id = cast(:vendedor as bigint))
  and (cast(:campanha as bigint) is null or i.campanha_id = cast(:campanha as bigint))

-- name: por_campanha
select campanha_id, campanha, sum(valor_desconto) as desconto, sum(valor_liquido) as receita_liquida, sum(margem) as margem,
       max(custo) as custo, round((sum(margem) - max(custo)) / nullif(max(custo), 0), 4) as roi
from base where com_desconto = 1
group by campanha_id, campanha

-- name: tiles
select
  sum(valor_desconto) as desconto_concedido,
  sum(valor_liquido) as receita_liquida_com_desconto,
  sum(margem) as margem_com_desconto,
  (select coalesce(sum(c.custo), 0) from (select max(custo) as custo from base where com_desconto = 1 group by campanha_id) c) as custo_campanhas,
  round(((select coalesce(sum(margem), 0) from base where com_desconto = 1 and campanha_id <> 0)
          - (select coalesce(sum(c.custo), 0) from (select max(custo) as custo from base where com_desconto = 1 group by campanha_id) c))
        / nullif((select sum(c.custo) from (select max(custo) as custo from base where com_desconto = 1 group by campanha_id) c), 0), 4) as roi,
  round(coalesce(sum(valor_desconto), 0) / nullif((select sum(valor_bruto) from base), 0), 4) as participacao_desconto
from base where com_desconto = 1

-- name: por_faixa
select faixa, sum(valor_desconto) as desconto, sum(valor_bruto) as receita_bruta,
       round(sum(valor_desconto) / nullif(sum(valor_bruto), 0), 4) as participacao
from base group by faixa
