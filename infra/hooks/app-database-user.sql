-- The app identity's contained database user in the warehouse, and exactly the rights the app
-- uses at run time. Run by postprovision.sh (sqlcmd) as the SQL Entra administrator, after the
-- migrations: the grants name schemas and tables the migrations create. Idempotent: every
-- statement can run again and changes nothing the second time.
--
-- sqlcmd variables: APP_IDENTITY_NAME (the user-assigned identity's name, the user's name here)
-- and APP_IDENTITY_CLIENT_ID (its client id, which Entra tokens carry as the application id).
--
-- Not granted, on purpose:
--   - DDL (db_ddladmin, CREATE TABLE, ALTER on dw/etl/ods): the app never changes the schema in
--     Azure; `npm run db:migrate` does, as the administrator, from this hook or the deploy workflow.
--   - EXECUTE: the warehouse has no stored procedure or function; every statement is a parameterised
--     query the app sends (sql/generated/statements/).
--   - VIEW DATABASE STATE: only the read of the source uses the transaction views (the late-commit
--     cap, shared/db/portable-sql.ts), and the source is the company's database, not this one.
SET NOCOUNT ON;
SET XACT_ABORT ON;

-- The user, created from the identity's client id as its SID (TYPE = E: an Entra application).
-- CREATE USER ... FROM EXTERNAL PROVIDER would look the name up in Microsoft Graph, which fails
-- when the deployer is a service principal (the deploy workflow) and the server has no Graph
-- rights; the SID form needs no lookup and names the same principal.
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(APP_IDENTITY_NAME)')
BEGIN
  DECLARE @sid nvarchar(40) = CONVERT(nvarchar(40), CONVERT(varbinary(16), CONVERT(uniqueidentifier, N'$(APP_IDENTITY_CLIENT_ID)')), 1);
  DECLARE @create nvarchar(400) = N'CREATE USER ' + QUOTENAME(N'$(APP_IDENTITY_NAME)') + N' WITH SID = ' + @sid + N', TYPE = E;';
  EXEC (@create);
END;

-- SELECT on every table and view: the extract's watermarks, the lease, run audit, staging, the
-- star, the certified KPI views the API and dashboards read, and the migration log (the schema
-- version the app checks at start).
ALTER ROLE db_datareader ADD MEMBER [$(APP_IDENTITY_NAME)];

-- INSERT, UPDATE, DELETE (and so MERGE) on every table: the loads (SCD merges, fact upserts),
-- run audit, the lease, watermarks, quarantine, the quality history and the certified pointer.
ALTER ROLE db_datawriter ADD MEMBER [$(APP_IDENTITY_NAME)];

-- TRUNCATE TABLE needs ALTER on the table: the pipeline empties its staging tables (stg.*) and the
-- sales load's work tables (work.*) with TRUNCATE. The bulk copy into staging (without
-- CHECK_CONSTRAINTS) needs the same. ALTER on these two schemas only; without CREATE TABLE it
-- cannot add tables to them.
GRANT ALTER ON SCHEMA::stg TO [$(APP_IDENTITY_NAME)];
GRANT ALTER ON SCHEMA::work TO [$(APP_IDENTITY_NAME)];

-- A fact step that stages many rows (BULK_FK_MIN_ROWS) suspends the foreign keys of the fact
-- tables it writes (ALTER TABLE ... NOCHECK CONSTRAINT ALL) and validates every row in one pass
-- before it commits (WITH CHECK CHECK CONSTRAINT ALL), inside its transaction: ALTER on the three
-- fact tables, and on nothing else in dw.
GRANT ALTER ON OBJECT::dw.fact_vendas TO [$(APP_IDENTITY_NAME)];
GRANT ALTER ON OBJECT::dw.fact_descontos TO [$(APP_IDENTITY_NAME)];
GRANT ALTER ON OBJECT::dw.fact_metas TO [$(APP_IDENTITY_NAME)];
