import { describe, expect, it } from 'vitest';
import { checkHistory } from '../src/checker';
import { renderHtmlReport } from '../src/html-report';
import { registerModel } from '../src/models/register-model';
import { reg } from './helpers';

describe('HTML report', () => {
  const ops = [reg.write('a', '1', 0, 1), reg.write('b', '2', 2, 3), reg.read('c', '1', 4, 5), reg.write('<x>', '3', 6, null)];
  const result = checkHistory({ model: registerModel, operations: ops });
  const html = renderHtmlReport(registerModel, result, 'stale <read>');

  it('marks the operation that cannot be placed and the linearizable prefix', () => {
    expect(result.verdict).toBe('illegal');
    expect(html).toMatch(/<div class="op blocking" data-op="2"[^>]*>read\(\) → 1<\/div>/);
    expect(html).toMatch(/<div class="op prefix" data-op="0"[^>]*>1\. write\(1\)<\/div>/);
    expect(html).toMatch(/<div class="op prefix" data-op="1"[^>]*>2\. write\(2\)<\/div>/);
    expect(html).toContain('Cannot be placed: <b>client c: read() → 1</b>');
    expect(html).toMatch(/class="op other unknown" data-op="3"/);
  });

  it('is self-contained and escapes what it shows', () => {
    expect(html).not.toMatch(/<(script|link|img)\b|https?:/);
    expect(html).toContain('stale &#60;read&#62;');
    expect(html).toContain('client &#60;x&#62;');
    expect(html).not.toContain('<x>');
  });

  it('says so when every key is linearizable', () => {
    const ok = checkHistory({ model: registerModel, operations: ops.slice(0, 2) });
    expect(renderHtmlReport(registerModel, ok, 'fine')).toContain('Every key is linearizable.');
  });
});

describe('HTML report time axis', () => {
  it('labels the time axis from the first call to past the last event', () => {
    const ops = [reg.write('a', '1', 100, 110), reg.read('b', '2', 120, 200)];
    const html = renderHtmlReport(registerModel, checkHistory({ model: registerModel, operations: ops }), 't');
    expect(html).toContain('<span class="tick" style="left:0.0px">100</span>');
    expect(html).toContain('<span class="tick" style="left:1100.0px">205</span>');
  });
});
