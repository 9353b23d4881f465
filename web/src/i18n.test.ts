import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { GLOSSARY, catalogues, detectLang, format, loc, setLang, t } from './i18n';
import { EDGES } from './ui/statediagram';

const srcDir = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? (d.name === 'generated' || d.name === 'fixtures' ? [] : sources(join(dir, d.name))) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [join(dir, d.name)] : []);
}

describe('message catalogues', () => {
  it('have the same keys in en and zh-CN, none empty', () => {
    const en = Object.keys(catalogues.en).sort();
    const zh = Object.keys(catalogues['zh-CN']).sort();
    expect(zh).toEqual(en);
    for (const [k, v] of Object.entries(catalogues['zh-CN'])) expect(v.trim(), k).not.toBe('');
  });
  it('use the same placeholders in both languages', () => {
    for (const [k, v] of Object.entries(catalogues.en)) {
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(ph(catalogues['zh-CN'][k]!), k).toEqual(ph(v));
    }
  });
  it('contain every key the code and the page use literally', () => {
    const used = new Set<string>();
    for (const f of sources(srcDir)) for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-z][\w.]+)'/g)) used.add(m[1]!);
    const html = readFileSync(join(srcDir, '..', 'index.html'), 'utf8');
    for (const m of html.matchAll(/data-i18n(?:-label)?="([\w.]+)"/g)) used.add(m[1]!);
    for (const e of EDGES) used.add(e.key);
    for (const prefix of ['drop.fault', 'drop.loss', 'drop.unplugged', 'drop.host_down', 'action.crash', 'action.reboot', 'action.unplug', 'action.plug',
      'ladder.timer.cancel', 'ladder.timer.fire', 'ladder.timer.reset', 'narr.timer.set', 'narr.timer.fire', 'narr.timer.cancel']) used.add(prefix);
    expect(used.size).toBeGreaterThan(60);
    for (const k of used) expect(catalogues.en, k).toHaveProperty([k]);
  });
  it('name every timer of the trace format in both languages', () => {
    // The names the trace contract allows (core/schema/trace.schema.json, the timer event).
    const schema: unknown = JSON.parse(readFileSync(join(srcDir, '../../core/schema/trace.schema.json'), 'utf8'));
    const timers: string[] = [];
    const walk = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      const tm = o['timer'] as { enum?: unknown } | undefined;
      if (tm && Array.isArray(tm.enum)) timers.push(...(tm.enum as string[]));
      for (const v of Object.values(o)) walk(v);
    };
    walk(schema);
    expect(timers).toContain('fin_wait_2');
    for (const timer of new Set(timers)) {
      expect(catalogues.en).toHaveProperty([`timer.${timer}`]);
      expect(catalogues['zh-CN']).toHaveProperty([`timer.${timer}`]);
    }
  });
  it('switch language for UI strings and lesson text alike', () => {
    setLang('zh-CN');
    expect(t('sock.synq')).toContain('半连接队列');
    expect(loc({ en: 'x', 'zh-CN': '叉' })).toBe('叉');
    setLang('en');
    expect(t('sock.synq')).toBe('SYN queue');
    expect(t('ctl.step', { n: 2, total: 9 })).toBe('Step 2 / 9');
    expect(t('no.such.key')).toBe('no.such.key');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
  it('pick the language from storage, else from the browser', () => {
    expect(detectLang('en', ['zh-CN'])).toBe('en');
    expect(detectLang(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLang('garbage', ['de'])).toBe('en');
  });
  it('has a glossary with the interview terms in both languages', () => {
    const zh = GLOSSARY.map((g) => g.zh);
    for (const term of ['半连接队列', '全连接队列', '三次握手', '四次挥手', '2MSL']) expect(zh).toContain(term);
    for (const g of GLOSSARY) { expect(g.meaning.en).not.toBe(''); expect(g.meaning['zh-CN']).not.toBe(''); }
  });
});
