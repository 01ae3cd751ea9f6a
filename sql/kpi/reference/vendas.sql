-- Reference SQL for the Vendas KPIs (docs/kpis.md#vendas), written against the OLTP source
-- tables, independently of the warehouse and its views. The tests compare every number of the
-- KPI API (shared/kpi, which reads dw.vw_vendas) with these queries, to the cent.
--
-- Run by shared/kpi/reference.ts: the section `base` becomes `with base as (...)` in front of every
-- other section; :name placeholders are bound as parameters (never spliced into the text):
--   :certified_to  etl.certified.certified_to (ISO instant; null = nothing certified yet)
--   :from, :to     inclusive order dates 'YYYY-MM-DD' or null
--   :categoria, :vendedor, :campanha   source ids or null;  :estado   a UF or null
-- Portable to PGlite and PostgreSQL. SQL Server needs a variant of two expressions (marked T-SQL
-- below): the UTC day and month of a timestamp (datetime2 already holds UTC there:
-- cast(p.data_pedido as date), convert(char(7), p.data_pedido, 126)) and the cast of
-- :certified_to (datetime2 instead of timestamptz).
--
-- Rows that count: live items (deleted_at is null) of orders placed at or before :certified_to;
-- cancelled orders (status 'cancelado') only in the cancellation rate. A sale's day is the UTC
-- calendar day of pedidos.data_pedido; its state is the order's delivery state.

-- name: base
select
  i.pedido_id,
  case when p.status = 'cancelado' then 1 else 0 end as cancelado,
  to_char(p.data_pedido at time zone 'UTC', 'YYYY-MM') as ano_mes,         -- T-SQL: convert(char(7), p.data_pedido, 126)
  pr.categoria_id,
  cat.nome as categoria,
  i.vendedor_id,
  ven.nome as vendedor,
  coalesce(i.campanha_id, 0) as campanha_id,
  coalesce(cam.nome, 'Sem campanha') as campanha,
  coalesce(p.estado_entrega, 'N/D') as estado,
  uf.regiao,
  i.quantidade,
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
  end as faixa_desconto
from oltp.itens_pedido i
join oltp.pedidos p on p.id = i.pedido_id
join oltp.produtos pr on pr.id = i.produto_id
join oltp.categorias cat on cat.id = pr.categoria_id
join oltp.vendedores ven on ven.id = i.vendedor_id
left join oltp.campanhas cam on cam.id = i.campanha_id
left join (values
    ('AC', 'Norte'), ('AP', 'Norte'), ('AM', 'Norte'), ('PA', 'Norte'), ('RO', 'Norte'), ('RR', 'Norte'), ('TO', 'Norte'),
    ('AL', 'Nordeste'), ('BA', 'Nordeste'), ('CE', 'Nordeste'), ('MA', 'Nordeste'), ('PB', 'Nordeste'),
    ('PE', 'Nordeste'), ('PI', 'Nordeste'), ('RN', 'Nordeste'), ('SE', 'Nordeste'),
    ('DF', 'Centro-Oeste'), ('GO', 'Centro-Oeste'), ('MT', 'Centro-Oeste'), ('MS', 'Centro-Oeste'),
    ('ES', 'Sudeste'), ('MG', 'Sudeste'), ('RJ', 'Sudeste'), ('SP', 'Sudeste'),
    ('PR', 'Sul'), ('RS', 'Sul'), ('SC', 'Sul')
  ) as uf (sigla, regiao) on uf.sigla = p.estado_entrega
where i.deleted_at is null
  and p.data_pedido <= cast(:certified_to as timestamptz)                   -- T-SQL: datetime2
  and (cast(:from as date) is null or cast(p.data_pedido at time zone 'UTC' as date) >= cast(:from as date))  -- T-SQL: cast(p.data_pedido as date)
  and (cast(:to as date) is null or cast(p.data_pedido at time zone 'UTC' as date) <= cast(:to as date))
  and (cast(:categoria as bigint) is null or pr.categoria_id = cast(:categoria as bigint))
  and (cast(:estado as varchar(60)) is null or p.estado_entrega = cast(:estado as varchar(60)))
  and (cast(:vendedor as bigint) is null or i.vendedor_id = cast(:vendedor as bigint))
  and (cast(:campanha as bigint) is null or i.campanha_id = cast(:campanha as bigint))

-- name: tiles
select
  sum(case when cancelado = 0 then valor_bruto end) as receita_bruta,
  sum(case when cancelado = 0 then valor_desconto end) as descontos,
  sum(case when cancelado = 0 then valor_liquido end) as receita_liquida,
  count(distinct case when cancelado = 0 then pedido_id end) as pedidos,
  sum(case when cancelado = 0 then quantidade end) as itens,
  round(sum(case when cancelado = 0 then valor_liquido end)
        / nullif(count(distinct case when cancelado = 0 then pedido_id end), 0), 4) as ticket_medio,
  sum(case when cancelado = 0 then margem end) as margem,
  round(sum(case when cancelado = 0 then margem end) / nullif(sum(case when cancelado = 0 then valor_liquido end), 0), 4) as margem_percentual,
  round(cast(count(distinct case when cancelado = 1 then pedido_id end) as decimal(19, 4))
        / nullif(count(distinct pedido_id), 0), 4) as taxa_cancelamento
from base

-- name: por_mes
select ano_mes as mes, sum(valor_bruto) as receita_bruta, sum(valor_desconto) as descontos, sum(valor_liquido) as receita_liquida,
       count(distinct pedido_id) as pedidos, sum(margem) as margem
from base where cancelado = 0 group by ano_mes

-- name: por_categoria
select categoria_id, categoria, sum(valor_liquido) as receita_liquida, sum(quantidade) as itens
from base where cancelado = 0 group by categoria_id, categoria

-- name: por_estado
select estado, regiao, sum(valor_liquido) as receita_liquida, count(distinct pedido_id) as pedidos
from base where cancelado = 0 group by estado, regiao

-- name: por_vendedor
select vendedor_id, vendedor, sum(valor_liquido) as receita_liquida, count(distinct pedido_id) as pedidos
from base where cancelado = 0 group by vendedor_id, vendedor

-- name: por_campanha
select campanha_id, campanha, sum(valor_liquido) as receita_liquida, sum(valor_desconto) as descontos
from base where cancelado = 0 group by campanha_id, campanha
