// What a deployment ships and what the real host loads from it.
// - .funcignore: two tools read it. Core Tools (`func azure functionapp publish`, `func pack`)
//   matches each file's path with its own port of the npm gitignore-parser (anchored at the
//   project root, `*` never crossing a '/', a trailing word boundary: coreToolsDenies below
//   restates that algorithm); azd applies gitignore rules (the `ignore` package, eslint's
//   dependency, implements them). Both must keep what the app needs at run time and drop the rest.
// - `npm run build` (tsc -p tsconfig.build.json): built into a temporary package assembled as a
//   publish would (the project's files the .funcignore keeps, the build output, node_modules),
//   each dist/functions/*.js (package.json "main") is loaded by a fresh Node process that provides
//   '@azure/functions-core' as the Azure Functions Node worker does: every relative import must
//   resolve from dist/, the functions must register as the local host runs them
//   (dev/registrations.ts), and the dashboards' browser files must be found from the built code.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ignoreModule from 'ignore';
import { REGISTRATIONS } from '../../dev/registrations.js';
import { DASHBOARD_ASSET_NAMES } from '../../shared/dashboard/assets.js';

const FUNCIGNORE = readFileSync('.funcignore', 'utf8');

/** Core Tools' reading of .funcignore (Azure.Functions.Cli.Common.GitIgnoreParser): true when `path` is left out. */
function coreToolsDenies(content: string): (path: string) => boolean {
  const positive: string[] = [];
  const negative: string[] = [];
  for (const raw of content.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const list = line.startsWith('!') ? negative : positive;
    if (line.startsWith('!')) line = line.slice(1);
    if (line.startsWith('/')) line = line.slice(1);
    list.push(
      line
        .replace(/[-[\]/{}()+?.\\^$|]/g, '\\$&')
        .replaceAll('**', '(.+)')
        .replace(/\*/g, '([^\\/]+)'),
    );
  }
  const regex = (list: string[]) => (list.length ? new RegExp(`^((${[...list].sort().join(')|(')}))\\b`) : /$^/);
  const [pos, neg] = [regex(positive), regex(negative)];
  return (path) => pos.test(path) && !neg.test(path);
}

// a CommonJS package: the default import is its module.exports, whose .default is the same factory (what its typings name)
const ignore = ignoreModule.default;
const coreTools = coreToolsDenies(FUNCIGNORE);
const gitignore = ignore().add(FUNCIGNORE);
/** Left out by both readers (and the two must agree: asserted for every path a test looks at). */
const denied = (path: string) => {
  const a = coreTools(path);
  const b = gitignore.ignores(path);
  if (a !== b) throw new Error(`.funcignore means different things for ${path}: Core Tools ${a ? 'drops' : 'keeps'} it, gitignore ${b ? 'drops' : 'keeps'} it`);
  return a;
};

/** Every file under `dir`, as paths relative to `base` with '/' (symbolic links not followed). */
function filesUnder(dir: string, base = dir, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(base, full).split('\\').join('/');
    if (skip(rel)) continue;
    if (entry.isDirectory()) out.push(...filesUnder(full, base, skip));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** The project's files as a publish sees them: tracked and untracked, minus what git ignores (dist/, node_modules/, .data/...). */
const projectFiles = () =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && statSync(f, { throwIfNoEntry: false })?.isFile());

/** The folders of the production dependency tree (npm ls --omit=dev), relative to the project. */
function productionPackages(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out
    .split('\n')
    .map((p) => relative(process.cwd(), p).split('\\').join('/'))
    .filter((p) => p.startsWith('node_modules/'));
}

describe('.funcignore', () => {
  it('keeps what the host loads at run time: host.json, package.json, the built functions and shared code, the dashboard assets', () => {
    const kept = ['host.json', 'package.json', 'shared/dashboard/assets/dashboard.js', 'shared/dashboard/assets/dashboard.css'];
    const built = [
      'dist/functions/backfill.js',
      'dist/functions/runtime/functions-host.js',
      'dist/shared/pipeline/run-extract.js',
      'dist/sql/migrations/index.js',
    ];
    expect([...kept, ...built].filter(denied)).toEqual([]);
    // every asset the dashboards serve from the package's own files (echarts comes from node_modules)
    expect(DASHBOARD_ASSET_NAMES.filter((n) => n !== 'echarts.min.js').map((n) => `shared/dashboard/assets/${n}`)).toEqual(
      expect.arrayContaining(kept.filter((k) => k.startsWith('shared/'))),
    );
  });

  it('leaves out sources, tests, the local host, scripts, docs, infrastructure, local data and settings, source maps', () => {
    const files = projectFiles();
    const left = files.filter((f) => !denied(f));
    // of the project's own files only these ship: the build output and node_modules are added by the build and install
    expect(left.sort()).toEqual([
      'host.json',
      'package-lock.json',
      'package.json',
      'shared/dashboard/assets/dashboard.css',
      'shared/dashboard/assets/dashboard.js',
    ]);
    const mustGo = [
      'functions/backfill.ts',
      'shared/pipeline/backfill-run.ts',
      'tests/integration/packaging.test.ts',
      'dev/host.ts',
      'scripts/pipeline.ts',
      'docs/runbook.md',
      'infra/main.bicep',
      'sql/kpi/reference/vendas.sql',
      'sql/migrations/index.ts',
      'local.settings.json',
      'local.settings.example.json',
      '.data/local/PG_VERSION',
      '__azurite_db_queue__.json',
      '__blobstorage__/x',
      'dist/functions/backfill.js.map',
      'dist/shared/pipeline/run-extract.js.map',
      'tsconfig.json',
      '.github/workflows/ci.yml',
      '.git/HEAD',
      'node_modules/typescript/lib/tsc.js',
      'node_modules/node/bin/node',
      'node_modules/@types/node/index.d.ts',
    ];
    expect(mustGo.filter((f) => !denied(f))).toEqual([]);
  });

  it('leaves no file of a production dependency out (bar type declarations and source maps)', () => {
    const packages = productionPackages();
    expect(packages).toEqual(expect.arrayContaining(['node_modules/@azure/functions', 'node_modules/echarts', 'node_modules/kysely']));
    const files = packages.flatMap((dir) => filesUnder(dir, '.', (rel) => rel.endsWith('/node_modules')));
    expect(files.length).toBeGreaterThan(1000);
    // type declarations (@types packages, some production packages depend on them) are never loaded at run time
    const lost = files.filter((f) => denied(f) && !f.startsWith('node_modules/@types/') && !/\.(ts|ts\.map|js\.map)$/.test(f));
    expect(lost).toEqual([]);
    // the browser build of ECharts the dashboards serve
    expect(denied('node_modules/echarts/dist/echarts.min.js')).toBe(false);
  });
});

describe('npm run build', () => {
  let app: string;

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'funcapp-'));
    // the build script as package.json runs it, into the temporary package
    const script = JSON.parse(readFileSync('package.json', 'utf8')).scripts.build as string;
    expect(script).toBe('tsc -p tsconfig.build.json');
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', join(app, 'dist')], { stdio: 'pipe' });
    // then what a publish adds from the project folder: the files .funcignore keeps, and the packages
    for (const file of projectFiles().filter((f) => !denied(f))) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      copyFileSync(file, join(app, file));
    }
    symlinkSync(join(process.cwd(), 'node_modules'), join(app, 'node_modules'), 'dir');
  }, 300_000);

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('produces dist/functions/*.js that the worker loads from the package: every function registers as the local host runs it, the shutdown hook too', () => {
    const main = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).main as string;
    expect(main).toBe('dist/functions/*.js');
    const files = readdirSync(join(app, 'dist/functions')).filter((f) => f.endsWith('.js'));
    expect(files.sort()).toEqual(
      readdirSync('functions')
        .filter((f) => f.endsWith('.ts'))
        .map((f) => f.replace(/\.ts$/, '.js'))
        .sort(),
    );
    const probe = `
      import Module from 'node:module';
      import { readdirSync, readFileSync } from 'node:fs';
      const functions = [];
      const hooks = [];
      const core = {
        version: 'test', hostVersion: 'test', setProgrammingModel() {},
        registerFunction: (m) => (functions.push(m), { dispose() {} }),
        registerHook: (name) => (hooks.push(name), { dispose() {} }),
      };
      Module.prototype.require = new Proxy(Module.prototype.require, {
        apply: (target, self, args) => (args[0] === '@azure/functions-core' ? core : Reflect.apply(target, self, args)),
      });
      for (const file of readdirSync('dist/functions').filter((f) => f.endsWith('.js'))) await import('./dist/functions/' + file);
      const { dashboardAsset, DASHBOARD_ASSET_NAMES } = await import('./dist/shared/dashboard/assets.js');
      const assets = Object.fromEntries(DASHBOARD_ASSET_NAMES.map((n) => [n, dashboardAsset(n)?.body.length ?? null]));
      const triggers = functions.map((m) => ({ name: m.name, trigger: Object.values(m.bindings).find((b) => b.type.endsWith('Trigger')) }));
      process.stdout.write('LOADED ' + JSON.stringify({ triggers, hooks, assets }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const [output, json] = (run.stdout + run.stderr).split('LOADED ');
    if (run.status !== 0 || json === undefined) throw new Error(`loading the built functions failed:\n${run.stdout}${run.stderr}`);
    expect(output!.trim()).toBe('');
    const loaded = JSON.parse(json) as {
      triggers: { name: string; trigger: Record<string, unknown> }[];
      hooks: string[];
      assets: Record<string, number | null>;
    };
    const local = [
      ...REGISTRATIONS.timers.map((r) => ['timerTrigger', r] as const),
      ...REGISTRATIONS.queues.map((r) => ['queueTrigger', r] as const),
      ...REGISTRATIONS.http.map((r) => ['httpTrigger', r] as const),
    ];
    expect(loaded.triggers.map((t) => t.name).sort()).toEqual(local.map(([, r]) => r.name).sort());
    for (const [type, { name, handler: _handler, ...settings }] of local)
      expect(loaded.triggers.find((t) => t.name === name)?.trigger).toMatchObject({ type, ...settings });
    expect(loaded.hooks).toEqual(['appTerminate']);
    // the dashboards' files are found from dist/ (the package root's shared/dashboard/assets, echarts from node_modules)
    expect(loaded.assets).toEqual({
      'dashboard.js': readFileSync('shared/dashboard/assets/dashboard.js', 'utf8').length,
      'dashboard.css': readFileSync('shared/dashboard/assets/dashboard.css', 'utf8').length,
      'echarts.min.js': readFileSync('node_modules/echarts/dist/echarts.min.js', 'utf8').length,
    });
  });

  it('once the publish applies .funcignore, the package holds the built JavaScript and the runtime files only', () => {
    const shipped = filesUnder(app, app, (rel) => rel === 'node_modules').filter((f) => !denied(f));
    expect(shipped.filter((f) => !/^dist\/(functions|shared|sql)\/.+\.js$/.test(f)).sort()).toEqual([
      'host.json',
      'package-lock.json',
      'package.json',
      'shared/dashboard/assets/dashboard.css',
      'shared/dashboard/assets/dashboard.js',
    ]);
    expect(shipped).toContain('dist/functions/backfill-extract.js');
    expect(shipped).toContain('dist/functions/app-lifecycle.js');
  });
});
