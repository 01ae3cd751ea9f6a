// What the deployment checks need to know about a Bicep template, read with tree-sitter-bicep
// (WebAssembly, no Bicep CLI): its parameters (and which are @secure()), variables, modules with
// their registry reference and top-level params, outputs, and the app settings (the properties of
// every variable whose name ends in "appSettings"), each value classified by what it is made of.
// Plain data: the syntax tree is freed before this returns.
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

export interface BicepParam {
  name: string;
  type: string;
  secure: boolean;
  hasDefault: boolean;
  line: number;
}

/**
 * What an app setting's value is, for the secret rules:
 *   key-vault-reference  '@Microsoft.KeyVault(SecretUri=...)' (plain or interpolated)
 *   identity-connection  a connection string with Entra authentication and no password or key
 *   module-output        <module>.outputs.<name>
 *   literal              a plain string, number or bool
 *   expression           anything else (a parameter, an interpolation, a function call...)
 */
export type ValueKind = 'key-vault-reference' | 'identity-connection' | 'module-output' | 'literal' | 'expression';

export interface BicepValue {
  kind: ValueKind;
  text: string;
  /** every identifier the value reads (parameters, variables, modules) */
  identifiers: string[];
}

export interface BicepModule {
  symbol: string;
  /** 'br/public:avm/res/web/site:0.22.0' or a local path 'monitoring/alerts.bicep' */
  source: string;
  line: number;
  /** the module's `params: { ... }` properties, by name */
  params: Record<string, BicepValue>;
}

export interface AppSetting {
  name: string;
  value: BicepValue;
  /** the variable it is declared in */
  variable: string;
  line: number;
}

export interface BicepModel {
  syntaxErrors: string[];
  targetScope: string | undefined;
  params: BicepParam[];
  variables: Record<string, BicepValue>;
  modules: BicepModule[];
  outputs: string[];
  appSettings: AppSetting[];
}

let parser: Parser | undefined;

/** Loads tree-sitter-bicep once per test file (call in beforeAll). */
export async function loadBicepParser(): Promise<void> {
  if (parser) return;
  await Parser.init();
  const bicep = await Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
  parser = new Parser();
  parser.setLanguage(bicep);
}

export function freeBicepParser(): void {
  parser?.delete();
  parser = undefined;
}

const named = (node: Node | null | undefined): Node[] => (node?.namedChildren ?? []).filter((child): child is Node => child !== null);

function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of named(node)) yield* walk(child);
}

/** The text inside a string's quotes, interpolations kept as ${...}. */
const stringBody = (node: Node): string => node.text.replace(/^'''|'''$/g, '').replace(/^'|'$/g, '');

/** A property key: an identifier or a quoted string. */
const keyOf = (node: Node | undefined): string => (node ? (node.type === 'string' ? stringBody(node) : node.text) : '');

const SECRET_IN_CONNECTION = /(password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|sig)\s*=/i;

function classify(node: Node): BicepValue {
  const identifiers = [...walk(node)].filter((n) => n.type === 'identifier').map((n) => n.text);
  const value = (kind: ValueKind): BicepValue => ({ kind, text: node.text, identifiers });
  if (node.type === 'string') {
    const body = stringBody(node);
    if (/^@Microsoft\.KeyVault\((SecretUri|VaultName)=/.test(body)) return value('key-vault-reference');
    if (/Authentication\s*=\s*Active Directory/i.test(body) && !SECRET_IN_CONNECTION.test(body)) return value('identity-connection');
    return value(named(node).some((child) => child.type === 'interpolation') ? 'expression' : 'literal');
  }
  if (node.type === 'number' || node.type === 'boolean' || node.type === 'null') return value('literal');
  if (node.type === 'member_expression' && /^[A-Za-z_]\w*\.outputs\.[A-Za-z_]\w*$/.test(node.text)) return value('module-output');
  return value('expression');
}

/** The object literals a variable's value evaluates to: itself, or the branches of a ternary. */
function objectsOf(node: Node): Node[] {
  if (node.type === 'object') return [node];
  if (node.type === 'ternary_expression' || node.type === 'parenthesized_expression') return named(node).flatMap(objectsOf);
  return [];
}

function properties(object: Node): Array<{ key: string; value: Node; line: number }> {
  return named(object)
    .filter((child) => child.type === 'object_property')
    .map((property) => {
      const [key, value] = named(property);
      return { key: keyOf(key), value: value ?? property, line: property.startPosition.row + 1 };
    });
}

const position = (node: Node): string => `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;

/** Reads a template's text. */
export function readBicep(text: string): BicepModel {
  if (!parser) throw new Error('call loadBicepParser() first');
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const model: BicepModel = { syntaxErrors: [], targetScope: undefined, params: [], variables: {}, modules: [], outputs: [], appSettings: [] };
  for (const node of walk(tree.rootNode)) {
    if (node.isError || node.type === 'ERROR') model.syntaxErrors.push(`${position(node)} syntax error near '${node.text.slice(0, 40)}'`);
    else if (node.isMissing) model.syntaxErrors.push(`${position(node)} missing ${node.type}`);
  }
  for (const node of named(tree.rootNode)) {
    const children = named(node);
    if (node.type === 'target_scope_assignment') {
      const scope = children.find((child) => child.type === 'string');
      model.targetScope = scope ? stringBody(scope) : undefined;
    } else if (node.type === 'parameter_declaration') {
      const typeIndex = children.findIndex((child) => child.type === 'type');
      const decorators = node.previousNamedSibling?.type === 'decorators' ? node.previousNamedSibling : null;
      const secure = !!decorators && [...walk(decorators)].some((n) => n.type === 'call_expression' && named(n)[0]?.text === 'secure');
      model.params.push({
        name: children[0]?.text ?? '',
        type: children[typeIndex]?.text ?? '',
        secure,
        hasDefault: typeIndex >= 0 && children.length > typeIndex + 1,
        line: node.startPosition.row + 1,
      });
    } else if (node.type === 'variable_declaration') {
      const [name, value] = children;
      if (!name || !value) continue;
      model.variables[name.text] = classify(value);
      if (/appsettings$/i.test(name.text)) {
        for (const object of objectsOf(value)) {
          for (const { key, value: settingValue, line } of properties(object)) {
            model.appSettings.push({ name: key, value: classify(settingValue), variable: name.text, line });
          }
        }
      }
    } else if (node.type === 'module_declaration') {
      const source = children.find((child) => child.type === 'string');
      const body = children.find((child) => child.type === 'object');
      const paramsObject = body ? properties(body).find((property) => property.key === 'params')?.value : undefined;
      const params: Record<string, BicepValue> = {};
      if (paramsObject?.type === 'object') for (const { key, value } of properties(paramsObject)) params[key] = classify(value);
      model.modules.push({ symbol: children[0]?.text ?? '', source: source ? stringBody(source) : '', line: node.startPosition.row + 1, params });
    } else if (node.type === 'output_declaration') {
      if (children[0]) model.outputs.push(children[0].text);
    }
  }
  tree.delete();
  return model;
}

/** A public-registry module pinned to one published version (no tag such as 'latest', no bare major). */
export const PINNED_MODULE = /^br\/public:[a-z0-9][a-z0-9/-]*:\d+\.\d+\.\d+$/;

/** The module path of a registry reference without its version: 'avm/res/web/site'. */
export const modulePath = (source: string): string => source.replace(/^br\/public:/, '').replace(/:[^:]*$/, '');
