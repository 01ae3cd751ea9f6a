// Every KQL query under infra/ parses and binds against a declared schema of the Application
// Insights tables it reads, with the Kusto language service (Kusto.Language, the parser and
// binder of Azure Data Explorer and Log Analytics): a syntax error, an unknown table, column or
// function fails the test offline, before Azure would refuse the alert rule.
import { createRequire } from 'node:module';
import { infraFiles, kustoBlocks, monitoringDoc, readText, repoPath } from './infra-files.js';

// The language service is a Bridge.NET build: two scripts that define the globals Bridge and
// Kusto. Only the few members used here are typed.
interface Diagnostic {
  Severity: string;
  Message: string;
  Start: number;
  Length: number;
}
interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { $ctor1: new (name: string, members: unknown[], isOpen: boolean) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): { GetDiagnostics(): { Count: number; getItem(index: number): Diagnostic } } };
}
const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const Kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;

// The Application Insights tables the alert queries and docs/monitoring.md's examples read, as
// Log Analytics shows them when the alert rule's scope is the Application Insights component.
// Declare a table here before a query may use it.
const APP_INSIGHTS_TABLES: Record<string, string> = {
  customEvents:
    '(timestamp:datetime, name:string, itemType:string, customDimensions:dynamic, customMeasurements:dynamic, operation_Name:string, ' +
    'operation_Id:string, operation_ParentId:string, session_Id:string, user_Id:string, cloud_RoleName:string, cloud_RoleInstance:string, ' +
    'appId:string, appName:string, iKey:string, sdkVersion:string, itemId:string, itemCount:int)',
  customMetrics:
    '(timestamp:datetime, name:string, value:real, valueCount:int, valueSum:real, valueMin:real, valueMax:real, valueStdDev:real, ' +
    'customDimensions:dynamic, operation_Name:string, operation_Id:string, operation_ParentId:string, cloud_RoleName:string, ' +
    'cloud_RoleInstance:string, appId:string, appName:string, iKey:string, sdkVersion:string, itemId:string, itemCount:int)',
  exceptions:
    '(timestamp:datetime, problemId:string, handledAt:string, type:string, message:string, assembly:string, method:string, ' +
    'outerType:string, outerMessage:string, outerAssembly:string, outerMethod:string, innermostType:string, innermostMessage:string, ' +
    'innermostAssembly:string, innermostMethod:string, severityLevel:int, details:dynamic, customDimensions:dynamic, customMeasurements:dynamic, ' +
    'operation_Name:string, operation_Id:string, operation_ParentId:string, cloud_RoleName:string, cloud_RoleInstance:string, ' +
    'appId:string, appName:string, iKey:string, sdkVersion:string, itemId:string, itemCount:int)',
};

const globals = Kusto.GlobalState.Default.WithDatabase(
  new Kusto.Symbols.DatabaseSymbol.$ctor1(
    'ApplicationInsights',
    Object.entries(APP_INSIGHTS_TABLES).map(([name, schema]) => new Kusto.Symbols.TableSymbol.$ctor7(name, schema, null)),
    false,
  ),
);

/** The error diagnostics of a query, each as "line:column message". */
function kqlErrors(text: string): string[] {
  const diagnostics = Kusto.KustoCode.ParseAndAnalyze(text, globals).GetDiagnostics();
  const errors: string[] = [];
  for (let i = 0; i < diagnostics.Count; i++) {
    const diagnostic = diagnostics.getItem(i);
    if (diagnostic.Severity !== 'Error') continue;
    const before = text.slice(0, diagnostic.Start).split('\n');
    errors.push(`${before.length}:${(before.at(-1) ?? '').length + 1} ${diagnostic.Message}`);
  }
  return errors;
}

const queries = infraFiles('kql');

describe('KQL queries under infra/ (Kusto language service, declared Application Insights schema)', () => {
  it('finds the alert queries', () => {
    expect(queries.map(repoPath)).toEqual(
      expect.arrayContaining([
        'infra/monitoring/queries/run-failed.kql',
        'infra/monitoring/queries/daily-run-missing.kql',
        'infra/monitoring/queries/poison-or-quality-gate.kql',
      ]),
    );
  });

  it.each(queries.map((file) => [repoPath(file), file]))('%s parses and binds without errors', (_name, file) => {
    expect(kqlErrors(readText(file))).toEqual([]);
  });

  it.each(kustoBlocks(monitoringDoc).map((query, i) => [i + 1, query]))(
    'example query %i of docs/monitoring.md parses and binds without errors',
    (_i, query) => {
      expect(kqlErrors(query)).toEqual([]);
    },
  );

  it('docs/monitoring.md has its example queries', () => {
    expect(kustoBlocks(monitoringDoc).length).toBeGreaterThanOrEqual(3);
  });

  describe('reports what is wrong (the check can fail)', () => {
    it('a syntax error', () => {
      expect(kqlErrors('customEvents\n| where name == "PipelineRunFailed" and (\n| project timestamp')).not.toEqual([]);
    });

    it('an unknown column', () => {
      expect(kqlErrors('customEvents\n| where eventName == "PipelineRunFailed"')).toEqual([
        "2:9 The name 'eventName' does not refer to any known column, table, variable or function.",
      ]);
    });

    it('an undeclared table', () => {
      expect(kqlErrors('AppEvents | where Name == "PipelineRunFailed"')).toEqual(
        expect.arrayContaining([expect.stringMatching(/^1:1 The name 'AppEvents' does not refer to any known table/)]),
      );
    });

    it('an unknown function', () => {
      expect(kqlErrors('customEvents | where timestamp > agoo(1h)')).toEqual([expect.stringMatching(/agoo/)]);
    });

    it('a type error (a datetime compared with a string)', () => {
      expect(kqlErrors('customEvents | where timestamp > "yesterday"')).not.toEqual([]);
    });
  });
});
