// The dashboards' static files, served by GET /api/dashboard-assets/{file} from the app itself
// (no CDN; the dashboards work offline):
//  - dashboard.js and dashboard.css: plain browser files kept in shared/dashboard/assets/ and read
//    from there at run time. The build (tsc -p tsconfig.build.json) emits only .ts output to
//    dist/, so they are found from the package root (the folder of package.json), which is the
//    same folder in the repository (tsx, npm start, tests) and in the deployed app (the Functions
//    zip is the project folder with dist/ and node_modules/): a deployment must ship
//    shared/dashboard/assets/ beside dist/ (a .funcignore must not exclude it).
//  - echarts.min.js: Apache ECharts' browser build, from the echarts runtime dependency in
//    node_modules (resolved as Node resolves the package, so it is the locked version).
// Each file is read once per process and kept in memory.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DashboardAsset {
  contentType: string;
  body: string;
}

/** The package root: the nearest folder above this module holding package.json (repository or dist/..). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const require = createRequire(import.meta.url);

/** The files GET /api/dashboard-assets/{file} serves, by name; nothing else is ever read. */
const FILES: Record<string, { path: () => string; contentType: string }> = {
  'dashboard.js': { path: () => join(packageRoot(), 'shared', 'dashboard', 'assets', 'dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: () => join(packageRoot(), 'shared', 'dashboard', 'assets', 'dashboard.css'), contentType: 'text/css; charset=utf-8' },
  'echarts.min.js': { path: () => require.resolve('echarts/dist/echarts.min.js'), contentType: 'text/javascript; charset=utf-8' },
};

export const DASHBOARD_ASSET_NAMES = Object.keys(FILES);

const cache = new Map<string, DashboardAsset>();

/** The asset named `name`, or null when no asset has that name. */
export function dashboardAsset(name: string): DashboardAsset | null {
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!file) return null;
  let asset = cache.get(name);
  if (!asset) {
    asset = { contentType: file.contentType, body: readFileSync(file.path(), 'utf8') };
    cache.set(name, asset);
  }
  return asset;
}
