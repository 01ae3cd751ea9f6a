// The base seed's table generators need no database: ids, dates and the facts they hand to the
// tables generated after them.
import { seedWindow } from '../../shared/seed/base/calendar.js';
import { generateCampaigns } from '../../shared/seed/base/campaigns.js';
import { generateCategories } from '../../shared/seed/base/categories.js';
import { generateProducts } from '../../shared/seed/base/products.js';
import { generateSellers } from '../../shared/seed/base/sellers.js';
import { targetRows } from '../../shared/seed/base/targets.js';
import { Rng } from '../../shared/seed/random.js';
import { DAY } from '../../shared/seed/time.js';

const WINDOW = seedWindow(Date.parse('2026-03-01T00:00:00.000Z'));
const rng = (part: string) => new Rng(`unit/${part}`);

describe('base seed table generators', () => {
  it('open the shop 24 months before as-of and take orders ten days later', () => {
    expect(new Date(WINDOW.start).toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(WINDOW.orderStart - WINDOW.start).toBe(10 * DAY);
  });

  it('write parent categories before their children, and hand the children to the products', () => {
    const { rows, children } = generateCategories(WINDOW.start);
    const parents = rows.filter((r) => r[3] === null).map((r) => r[0]);
    expect(rows.map((r) => r[0])).toEqual(rows.map((_, i) => i + 1));
    expect(Math.max(...(parents as number[]))).toBeLessThan(children[0]!.id);
    for (const c of children) expect(parents).toContain(rows[c.id - 1]![3]);
  });

  it('fill the per-row facts as the rows are consumed: sellers, products per seller, campaigns', () => {
    const sellers = generateSellers(rng('v'), 5, WINDOW);
    const sellerRows = [...sellers.rows];
    expect(sellerRows.map((r) => r[1])).toEqual(['VEND-00001', 'VEND-00002', 'VEND-00003', 'VEND-00004', 'VEND-00005']);
    for (const t of sellers.created) expect(t - WINDOW.start).toBeLessThan(5 * DAY);

    const products = generateProducts(rng('p'), 40, 5, generateCategories(WINDOW.start).children, WINDOW);
    expect(products.facts.perSeller.reduce((s, n) => s + n, 0)).toBe(0);
    const productRows = [...products.rows];
    expect(products.facts.perSeller.reduce((s, n) => s + n, 0)).toBe(40);
    for (let i = 0; i < 40; i++) expect(productRows[i]![4]).toBe((products.facts.price[i]! / 100).toFixed(4));

    const campaigns = generateCampaigns(rng('c'), 10, WINDOW);
    const campaignRows = [...campaigns.rows];
    expect(campaigns.campaigns.map((c) => c.tipo)).toEqual(campaignRows.map((r) => r[3]));
    expect(campaigns.campaigns.filter((c) => c.tipo === 'cupom')).toHaveLength(4);
  });

  it('set one target per seller and month, dated the first of the month, for the 24 months up to as-of', () => {
    // the facts targets need are filled once the sellers and products are written
    const sellers = generateSellers(rng('v'), 3, WINDOW);
    expect([...sellers.rows]).toHaveLength(3);
    const products = generateProducts(rng('p'), 30, 3, generateCategories(WINDOW.start).children, WINDOW);
    expect([...products.rows]).toHaveLength(30);
    const rows = [...targetRows(rng('m'), WINDOW, { orders: 600, sellerCreated: sellers.created, products: products.facts })];
    expect(rows).toHaveLength(3 * 24);
    const months = new Set(rows.map((r) => r[2]));
    expect([...months].sort()).toEqual(Array.from({ length: 24 }, (_, k) => new Date(Date.UTC(2024, 2 + k, 1)).toISOString().slice(0, 10)));
    for (const r of rows) expect(Date.parse(String(r[5]))).toBeLessThan(WINDOW.asOf);
  });
});
