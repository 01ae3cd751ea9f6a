// Every Bicep template under infra/ parses (tree-sitter-bicep's grammar, run by web-tree-sitter:
// WebAssembly, no native build and no Bicep CLI), every registry module it uses is pinned to an
// exact version, and every file it loads (loadTextContent and friends) exists. Offline checks:
// they do not replace `az bicep build`, which also resolves the modules' parameters.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { infraDir, infraFiles, readText, repoPath } from './infra-files.js';

const require = createRequire(import.meta.url);
let parser: Parser;

beforeAll(async () => {
  await Parser.init();
  const bicep = await Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
  parser = new Parser();
  parser.setLanguage(bicep);
});

afterAll(() => parser?.delete());

const position = (node: Node): string => `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;

function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of node.children) if (child) yield* walk(child);
}

/** A string literal's value, or undefined for an interpolated string ('${x}'). */
function literal(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string' || node.namedChildren.some((child) => child?.type !== 'string_content' && child?.type !== 'escape_sequence')) {
    return undefined;
  }
  return node.text.slice(1, -1).replace(/\\(['\\])/g, '$1');
}

interface TemplateReport {
  syntaxErrors: string[];
  /** module references, e.g. br/public:avm/res/insights/action-group:0.8.0 */
  modules: string[];
  unpinnedModules: string[];
  /** files loaded by loadTextContent & co., resolved against the template's folder */
  loadedFiles: string[];
  missingFiles: string[];
  parameters: string[];
}

const LOAD_FUNCTIONS = new Set(['loadTextContent', 'loadJsonContent', 'loadYamlContent', 'loadFileAsBase64', 'loadDirectoryFileInfo']);
// A public-registry reference pinned to one published version; Bicep accepts any tag, so 'latest'
// or a bare major would deploy whatever the registry serves that day.
const PINNED = /^br\/public:[a-z0-9][a-z0-9/-]*:\d+\.\d+\.\d+$/;
const AVM = /^br\/public:avm\/(res|ptn|utl)\//;

function checkTemplate(text: string, templateFile: string): TemplateReport {
  const tree = parser.parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${templateFile}`);
  const report: TemplateReport = { syntaxErrors: [], modules: [], unpinnedModules: [], loadedFiles: [], missingFiles: [], parameters: [] };
  for (const node of walk(tree.rootNode)) {
    if (node.isError || node.type === 'ERROR') report.syntaxErrors.push(`${position(node)} syntax error near '${node.text.slice(0, 40)}'`);
    else if (node.isMissing) report.syntaxErrors.push(`${position(node)} missing ${node.type}`);

    if (node.type === 'module_declaration') {
      const source = node.namedChildren.find((child) => child?.type === 'string');
      const reference = literal(source);
      if (reference === undefined) {
        report.unpinnedModules.push(`${position(node)} module path is not a plain string`);
      } else if (reference.startsWith('br/') || reference.startsWith('br:') || reference.startsWith('ts/') || reference.startsWith('ts:')) {
        report.modules.push(reference);
        if (!PINNED.test(reference)) report.unpinnedModules.push(`${position(node)} ${reference} is not pinned to an exact x.y.z version`);
      }
    }

    if (node.type === 'call_expression') {
      const name = node.childForFieldName('function')?.text ?? node.namedChildren[0]?.text;
      if (name && LOAD_FUNCTIONS.has(name)) {
        const argument = node.namedChildren.find((child) => child?.type === 'arguments')?.namedChildren[0];
        const path = literal(argument);
        if (path === undefined) {
          report.missingFiles.push(`${position(node)} ${name} takes a path that is not a plain string`);
        } else {
          const file = resolve(dirname(templateFile), path);
          report.loadedFiles.push(file);
          if (!existsSync(file)) report.missingFiles.push(`${position(node)} ${name}('${path}'): no such file`);
        }
      }
    }

    if (node.type === 'parameter_declaration') {
      const name = node.namedChildren.find((child) => child?.type === 'identifier')?.text;
      if (name) report.parameters.push(name);
    }
  }
  tree.delete();
  return report;
}

const templates = infraFiles('bicep');
// Where the deliberately broken templates below pretend to live (loadTextContent resolves against it).
const scratchTemplate = join(infraDir, 'monitoring', 'broken.bicep');

describe('Bicep templates under infra/ (tree-sitter-bicep)', () => {
  it('finds the monitoring module', () => {
    expect(templates.map(repoPath)).toContain('infra/monitoring/alerts.bicep');
  });

  describe.each(templates.map((file) => [repoPath(file), file]))('%s', (_name, file) => {
    let report: TemplateReport;
    beforeAll(() => {
      report = checkTemplate(readText(file), file);
    });

    it('parses without ERROR or MISSING nodes', () => {
      expect(report.syntaxErrors).toEqual([]);
    });

    it('pins every registry module to an exact version', () => {
      expect(report.unpinnedModules).toEqual([]);
    });

    it('loads only files that exist', () => {
      expect(report.missingFiles).toEqual([]);
    });
  });

  describe('infra/monitoring/alerts.bicep', () => {
    const file = join(infraDir, 'monitoring', 'alerts.bicep');
    let report: TemplateReport;
    beforeAll(() => {
      report = checkTemplate(readText(file), file);
    });

    it('takes the parameters the deployment passes it', () => {
      expect(report.parameters).toEqual(expect.arrayContaining(['location', 'appInsightsId', 'alertEmails', 'namePrefix', 'tags', 'enabled']));
    });

    it('builds on the Azure Verified Modules for the action group and the log search alerts', () => {
      expect(report.modules.every((reference) => AVM.test(reference))).toBe(true);
      expect(report.modules.filter((reference) => reference.startsWith('br/public:avm/res/insights/action-group:'))).toHaveLength(1);
      expect(report.modules.filter((reference) => reference.startsWith('br/public:avm/res/insights/scheduled-query-rule:'))).toHaveLength(3);
    });

    it('loads every query in infra/monitoring/queries/ (no query is left out of the rules)', () => {
      const queries = infraFiles('kql').filter((query) => repoPath(query).startsWith('infra/monitoring/queries/'));
      expect([...report.loadedFiles].sort()).toEqual(queries);
    });
  });

  describe('reports what is wrong (the check can fail)', () => {
    const broken = [
      "param namePrefix string = 'vendas",
      "module actionGroup 'br/public:avm/res/insights/action-group' = {",
      "  name: '${namePrefix}-ag'",
      '  params: {',
      "    query: loadTextContent('queries/no-such-query.kql')",
      '  }',
      "module latest 'br/public:avm/res/insights/scheduled-query-rule:latest' = {",
      "  name: 'x'",
      '}',
    ].join('\n');
    let report: TemplateReport;
    beforeAll(() => {
      report = checkTemplate(broken, scratchTemplate);
    });

    it('an unterminated string and a missing brace', () => {
      expect(report.syntaxErrors.length).toBeGreaterThan(0);
    });

    it('a module without a version, and one on a moving tag', () => {
      const valid = [
        "module ag 'br/public:avm/res/insights/action-group' = {",
        "  name: 'ag'",
        '}',
        "module sqr 'br/public:avm/res/insights/scheduled-query-rule:latest' = {",
        "  name: 'sqr'",
        '}',
        "module ok 'br/public:avm/res/insights/action-group:0.8.0' = {",
        "  name: 'ok'",
        '}',
      ].join('\n');
      const unpinned = checkTemplate(valid, scratchTemplate);
      expect(unpinned.syntaxErrors).toEqual([]);
      expect(unpinned.unpinnedModules).toEqual([
        '1:1 br/public:avm/res/insights/action-group is not pinned to an exact x.y.z version',
        '4:1 br/public:avm/res/insights/scheduled-query-rule:latest is not pinned to an exact x.y.z version',
      ]);
    });

    it('a file that does not exist', () => {
      const missing = checkTemplate("var q = loadTextContent('queries/no-such-query.kql')\n", scratchTemplate);
      expect(missing.syntaxErrors).toEqual([]);
      expect(missing.missingFiles).toEqual(["1:9 loadTextContent('queries/no-such-query.kql'): no such file"]);
    });
  });
});
